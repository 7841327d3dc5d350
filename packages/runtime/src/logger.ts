import { pino, type Logger } from 'pino';

export type { Logger };

// One root logger per process; services take children so every line says which service wrote it.
let root: Logger | undefined;

export function rootLogger(): Logger {
  root ??= pino({
    level: process.env.LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
  return root;
}

export function createLogger(service: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ service, ...bindings });
}
