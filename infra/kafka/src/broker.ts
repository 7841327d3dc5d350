import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { killWhenParentDies } from './guard.ts';
import { OutputTail } from './process.ts';

export interface BrokerExit { code: number | null; signal: NodeJS.Signals | null }

export interface BrokerProcess {
  /** The JVM's process id (undefined when it could not be spawned). */
  pid: number | undefined;
  exited: Promise<BrokerExit>;
  /** Set once the JVM is gone (or never started); undefined while it runs. */
  exit(): BrokerExit | undefined;
  spawnError(): Error | undefined;
  /** Last console lines plus the relevant part of server.log, for error messages. */
  diagnostics(): string;
  stop(): Promise<void>;
  /** SIGKILL: no controlled shutdown, as a crashed host or an OOM kill would end it. */
  kill(): Promise<void>;
}

const STOP_GRACE_MS = 20_000;

/** Starts at the last ERROR so a fatal stack trace isn't cut off by shutdown chatter after it. */
function serverLogTail(file: string, max = 15): string {
  if (!existsSync(file)) return '';
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  let lastError = lines.length - 1;
  while (lastError >= 0 && !/^\[[^\]]+\] (ERROR|FATAL) /.test(lines[lastError] ?? '')) lastError--;
  return (lastError >= 0 ? lines.slice(lastError, lastError + 2 * max) : lines.slice(-max)).join('\n');
}

export function launchBroker(
  java: string, args: string[], cwd: string, serverLog: string, log: (msg: string) => void,
): BrokerProcess {
  // A terminal's Ctrl-C signals every process of its foreground group, this JVM too, which then
  // stopped before the services still using it (`npm start`: the ingest's shutdown waited 10 s
  // for a broker already gone). So the JVM starts with SIGINT ignored, which it keeps (the JVM
  // installs no handler for a signal ignored at its start), and its owner stops it last
  // (SIGTERM, in stop()). `exec` keeps the pid: child.pid is the JVM's.
  const child = spawn('/bin/sh', ['-c', 'trap "" INT; exec "$0" "$@"', java, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const disarmGuard = child.pid === undefined ? () => undefined : killWhenParentDies(child.pid);
  const tail = new OutputTail();
  tail.attach(child);

  let exit: BrokerExit | undefined;
  let spawnError: Error | undefined;
  let stopping: Promise<void> | undefined;
  const exited = new Promise<BrokerExit>((done) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      disarmGuard();
      if (!stopping) log(`Kafka broker exited (code ${code}, signal ${signal}); see ${serverLog}`);
      done(exit);
    });
    // 'exit' never fires when the spawn itself fails.
    child.once('error', (err) => {
      spawnError = err;
      exit ??= { code: null, signal: null };
      done(exit);
    });
  });

  // Covers process.exit() and uncaught exceptions; the guard covers the parent dying from a signal.
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);

  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (!exit) {
        child.kill('SIGTERM'); // lets Kafka do a controlled shutdown and flush its logs
        let timer: NodeJS.Timeout | undefined;
        const graceful = await Promise.race([
          exited.then(() => true),
          new Promise<boolean>((r) => (timer = setTimeout(() => r(false), STOP_GRACE_MS))),
        ]);
        clearTimeout(timer);
        if (!graceful) {
          log(`Kafka broker ignored SIGTERM for ${STOP_GRACE_MS / 1000}s, killing it`);
          child.kill('SIGKILL');
          await exited;
        }
      }
      process.off('exit', killOnExit);
    })());

  const kill = async (): Promise<void> => {
    stopping ??= exited.then(() => undefined); // an exit we caused, not one to report
    child.kill('SIGKILL');
    await exited;
    process.off('exit', killOnExit);
  };

  const diagnostics = () => {
    const output = tail.text();
    const logTail = serverLogTail(serverLog);
    return [
      output && `--- broker stdout/stderr ---\n${output}`,
      logTail && `--- ${serverLog} ---\n${logTail}`,
    ].filter(Boolean).join('\n');
  };

  return { pid: child.pid, exited, exit: () => exit, spawnError: () => spawnError, diagnostics, stop, kill };
}
