import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { clusterIdFor, writeBrokerConfig } from './config.ts';
import { ensureKafkaJars, findJava } from './jars.ts';
import { HOST, assertPortFree, pickFreePorts } from './ports.ts';
import { OutputTail, run } from './process.ts';
import { waitForBroker } from './ready.ts';

export { ensureKafkaJars } from './jars.ts';

export interface LocalKafkaOptions {
  /** Broker state root; created if missing. Reusing it keeps topics and offsets across restarts. */
  dataDir: string;
  /** Client listener port, default 9092. 0 picks a free loopback port. */
  port?: number;
  /** KRaft controller port, default: a free port. */
  controllerPort?: number;
  log?: (msg: string) => void;
  startTimeoutMs?: number;
}

export interface BrokerExit { code: number | null; signal: NodeJS.Signals | null }

export interface LocalKafka {
  brokers: string[];
  port: number;
  dataDir: string;
  /** Resolves when the JVM exits, whether via stop() or a crash, so long-running callers can notice. */
  exited: Promise<BrokerExit>;
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 20_000;

async function choosePorts(opts: LocalKafkaOptions): Promise<{ port: number; controllerPort: number }> {
  const wanted = opts.port ?? 9092;
  if (wanted !== 0) await assertPortFree(wanted);
  if (opts.controllerPort !== undefined && opts.controllerPort !== 0) {
    await assertPortFree(opts.controllerPort, 'controller port');
  }
  const picks = await pickFreePorts(3);
  const taken = new Set([wanted, opts.controllerPort]);
  const free = picks.filter((p) => !taken.has(p));
  const port = wanted === 0 ? free.shift() : wanted;
  const controllerPort = opts.controllerPort ? opts.controllerPort : free.shift();
  if (port === undefined || controllerPort === undefined) throw new Error('could not pick free loopback ports');
  if (port === controllerPort) throw new Error(`port and controllerPort must differ (both ${port})`);
  return { port, controllerPort };
}

/** Starts at the last ERROR so a fatal stack trace isn't cut off by shutdown chatter after it. */
function serverLogTail(file: string, max = 15): string {
  if (!existsSync(file)) return '';
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  let lastError = lines.length - 1;
  while (lastError >= 0 && !/^\[[^\]]+\] (ERROR|FATAL) /.test(lines[lastError] ?? '')) lastError--;
  return (lastError >= 0 ? lines.slice(lastError, lastError + 2 * max) : lines.slice(-max)).join('\n');
}

export async function startLocalKafka(opts: LocalKafkaOptions): Promise<LocalKafka> {
  const log = opts.log ?? (() => undefined);
  const started = Date.now();
  const java = findJava();
  const { port, controllerPort } = await choosePorts(opts);
  const lib = await ensureKafkaJars(log);

  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const files = writeBrokerConfig(dataDir, port, controllerPort);
  const classpath = join(lib, '*'); // expanded by the JVM, not a shell
  const log4j = `-Dlog4j.configuration=${pathToFileURL(files.log4jProps).href}`;

  // --ignore-formatted would no-op on a formatted dir anyway; skipping it saves a ~1.5s JVM start on restarts.
  if (!existsSync(join(files.logDir, 'meta.properties'))) {
    log(`formatting Kafka storage in ${files.logDir}...`);
    const format = await run(java, [
      log4j, '-cp', classpath, 'kafka.tools.StorageTool',
      'format', '-t', clusterIdFor(files.logDir), '-c', files.serverProps, '--ignore-formatted',
    ]);
    if (format.code !== 0) {
      throw new Error(`formatting Kafka storage in ${files.logDir} failed (exit ${format.code}):\n${format.output}`);
    }
  }

  log(`starting Kafka broker on ${HOST}:${port} (data in ${dataDir})...`);
  const child = spawn(
    java,
    ['-Xmx512m', '-Xms256m', '-Djava.awt.headless=true', log4j, '-cp', classpath, 'kafka.Kafka', files.serverProps],
    { cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const tail = new OutputTail();
  tail.attach(child);

  let exit: BrokerExit | undefined;
  let spawnError: Error | undefined;
  let stopping: Promise<void> | undefined;
  let ready = false;
  const exited = new Promise<BrokerExit>((done) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      if (ready && !stopping) log(`Kafka broker exited unexpectedly (code ${code}, signal ${signal}); see ${files.serverLog}`);
      done(exit);
    });
    // 'exit' never fires when the spawn itself fails.
    child.once('error', (err) => {
      spawnError = err;
      exit ??= { code: null, signal: null };
      done(exit);
    });
  });
  // Without this an aborted test run or a crashed parent leaves an orphaned JVM holding the port.
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);

  const diagnostics = () => {
    const output = tail.text();
    const serverLog = serverLogTail(files.serverLog);
    return [
      output && `--- broker stdout/stderr ---\n${output}`,
      serverLog && `--- ${files.serverLog} ---\n${serverLog}`,
    ].filter(Boolean).join('\n');
  };

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

  const broker = `${HOST}:${port}`;
  // Measured from the JVM launch so a first-time Maven fetch doesn't eat the budget.
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  try {
    await waitForBroker(broker, deadline, () => {
      if (spawnError) return new Error(`could not launch ${java}: ${spawnError.message}`);
      if (!exit) return undefined;
      return new Error(
        `Kafka broker exited before becoming ready (code ${exit.code}, signal ${exit.signal})\n${diagnostics()}`,
      );
    });
  } catch (err) {
    // Snapshot before stop(): shutdown lines would otherwise bury what the broker was stuck on.
    const details = exit === undefined ? `\n${diagnostics()}` : '';
    await stop();
    if (err instanceof Error) err.message += details;
    throw err;
  }

  ready = true;
  log(`broker ready on ${broker} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  return { brokers: [broker], port, dataDir, exited, stop };
}
