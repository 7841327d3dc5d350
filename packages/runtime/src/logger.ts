import { pino, type Logger } from 'pino';

export type { Logger };

// One root logger per process; services take children so every line says which service wrote it.
let root: Logger | undefined;

/**
 * Every log line goes to stderr, whatever the process: stdout is the command's result (a report,
 * one JSON document with --json, the start-up banner), so a script can read it while the log
 * still shows on the terminal or in the container's log. Synchronous, so nothing logged just
 * before an exit is lost.
 */
export function rootLogger(): Logger {
  root ??= pino(
    {
      level: process.env.LOG_LEVEL ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ dest: 2, sync: true }),
  );
  return root;
}

export function createLogger(service: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ service, ...bindings });
}
