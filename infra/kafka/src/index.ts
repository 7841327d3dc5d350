import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchBroker, type BrokerExit } from './broker.ts';
import { clusterIdFor, writeBrokerConfig, type ClusterMembership } from './config.ts';
import { ensureKafkaJars, findJava } from './jars.ts';
import { HOST, assertPortFree, pickFreePorts } from './ports.ts';
import { run } from './process.ts';
import { waitForBroker } from './ready.ts';

export { ensureKafkaJars } from './jars.ts';
export { killWhenParentDies, type GuardOptions } from './guard.ts';
export { pickFreePorts } from './ports.ts';
export { waitForBroker } from './ready.ts';
export type { BrokerExit } from './broker.ts';
export { startLocalKafkaCluster, clusterSizeFromEnv, type LocalKafkaCluster, type LocalKafkaClusterOptions } from './cluster.ts';

export interface LocalKafkaOptions {
  /** Broker state root; created if missing. Reusing it keeps topics and offsets across restarts. */
  dataDir: string;
  /** Client listener port, default 9092. 0 picks a free loopback port. */
  port?: number;
  /** KRaft controller port, default: a free port. */
  controllerPort?: number;
  log?: (msg: string) => void;
  /** Budget for the JVM to start answering metadata requests, default 60000. */
  startTimeoutMs?: number;
  /** Maximum JVM heap, default '512m'; a node of a test cluster runs well in '256m'. */
  heap?: string;
  /** This broker as one node of a cluster (startLocalKafkaCluster); default: a cluster of one. */
  cluster?: { membership: ClusterMembership; clusterId: string };
}

export interface LocalKafka {
  brokers: string[];
  port: number;
  dataDir: string;
  /** Resolves when the JVM exits, via stop() or a crash, so long-running callers can notice a dead broker. */
  exited: Promise<BrokerExit>;
  /** The KRaft node id (1 for a single broker). */
  nodeId: number;
  /** The JVM's process id. It ignores SIGINT (a terminal's Ctrl-C): stop() ends it. */
  pid: number | undefined;
  stop(): Promise<void>;
  /** SIGKILLs the JVM (no controlled shutdown) and resolves once it is gone. */
  kill(): Promise<void>;
}

async function choosePorts(opts: LocalKafkaOptions): Promise<{ port: number; controllerPort: number }> {
  const wanted = opts.port ?? 9092;
  if (wanted !== 0) await assertPortFree(wanted);
  if (opts.controllerPort) await assertPortFree(opts.controllerPort, 'controller port');
  const taken = new Set([wanted, opts.controllerPort]);
  const free = (await pickFreePorts(3)).filter((p) => !taken.has(p));
  const port = wanted === 0 ? free.shift() : wanted;
  const controllerPort = opts.controllerPort || free.shift();
  if (port === undefined || controllerPort === undefined) throw new Error('could not pick free loopback ports');
  if (port === controllerPort) throw new Error(`port and controllerPort must differ (both ${port})`);
  return { port, controllerPort };
}

export async function startLocalKafka(opts: LocalKafkaOptions): Promise<LocalKafka> {
  const log = opts.log ?? (() => undefined);
  const started = Date.now();
  const java = findJava();
  const { port, controllerPort } = await choosePorts(opts);
  const lib = await ensureKafkaJars(log);

  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const nodeId = opts.cluster?.membership.nodeId ?? 1;
  const files = writeBrokerConfig(dataDir, port, controllerPort, opts.cluster?.membership);
  const classpath = join(lib, '*'); // expanded by the JVM, not a shell
  const log4j = `-Dlog4j.configuration=${pathToFileURL(files.log4jProps).href}`;

  // --ignore-formatted would no-op on a formatted dir anyway; skipping it saves a ~1.5s JVM start on restarts.
  if (!existsSync(join(files.logDir, 'meta.properties'))) {
    log(`formatting Kafka storage in ${files.logDir}...`);
    const format = await run(java, [
      log4j, '-cp', classpath, 'kafka.tools.StorageTool',
      'format', '-t', opts.cluster?.clusterId ?? clusterIdFor(files.logDir), '-c', files.serverProps, '--ignore-formatted',
    ]);
    if (format.code !== 0) {
      throw new Error(`formatting Kafka storage in ${files.logDir} failed (exit ${format.code}):\n${format.output}`);
    }
  }

  log(`starting Kafka broker ${nodeId} on ${HOST}:${port} (data in ${dataDir})...`);
  const broker = launchBroker(
    java,
    [`-Xmx${opts.heap ?? '512m'}`, ...(opts.heap ? [] : ['-Xms256m']), '-Djava.awt.headless=true', log4j, '-cp', classpath, 'kafka.Kafka', files.serverProps],
    dataDir,
    files.serverLog,
    log,
  );
  const address = `${HOST}:${port}`;
  // Measured from the JVM launch so a first-time Maven fetch doesn't eat the budget.
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  try {
    await waitForBroker(address, nodeId, deadline, () => {
      const spawnError = broker.spawnError();
      if (spawnError) return new Error(`could not launch ${java}: ${spawnError.message}`);
      const exit = broker.exit();
      if (!exit) return undefined;
      return new Error(
        `Kafka broker exited before becoming ready (code ${exit.code}, signal ${exit.signal})\n${broker.diagnostics()}`,
      );
    });
  } catch (err) {
    // Snapshot before stop(): shutdown lines would otherwise bury what the broker was stuck on.
    const details = broker.exit() ? '' : `\n${broker.diagnostics()}`;
    await broker.stop();
    if (err instanceof Error) err.message += details;
    throw err;
  }

  log(`broker ${nodeId} ready on ${address} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  return { brokers: [address], port, dataDir, nodeId, pid: broker.pid, exited: broker.exited, stop: broker.stop, kill: broker.kill };
}
