import { join, resolve } from 'node:path';
import { clusterIdFor } from './config.ts';
import { startLocalKafka, type LocalKafka } from './index.ts';
import { HOST, pickFreePorts } from './ports.ts';
import { waitForNodes } from './ready.ts';

export interface LocalKafkaClusterOptions {
  /** Cluster state root: one folder per node (node-1, node-2, ...). Reusing it keeps topics and offsets. */
  dataDir: string;
  /** Number of KRaft nodes, each a broker and a controller; default 3. */
  nodes?: number;
  /** Client port of node 1; node i listens on basePort + i - 1. 0 (default) picks free ports. */
  basePort?: number;
  /** Maximum heap of each JVM, default '256m': three nodes share a small machine. */
  heap?: string;
  log?: (msg: string) => void;
  startTimeoutMs?: number;
}

export interface ClusterNode {
  nodeId: number;
  port: number;
  controllerPort: number;
  dataDir: string;
}

export interface LocalKafkaCluster {
  /** Every node's client address: the bootstrap list for clients. */
  brokers: string[];
  dataDir: string;
  nodes: readonly ClusterNode[];
  /** The running JVM of a node, or undefined while it is stopped or killed. */
  running(nodeId: number): LocalKafka | undefined;
  /** SIGKILLs one node (no controlled shutdown). */
  kill(nodeId: number): Promise<void>;
  /** Stops one node with a controlled shutdown. */
  stopNode(nodeId: number): Promise<void>;
  /** Starts a stopped or killed node again on its ports and data, and waits until it is live. */
  startNode(nodeId: number): Promise<void>;
  /** Stops every running node. */
  stop(): Promise<void>;
}

/** KAFKA_NODES: how many local nodes `npm start` and the launcher run (default 1, a single broker). */
export function clusterSizeFromEnv(env: Record<string, string | undefined> = process.env): number {
  const raw = env.KAFKA_NODES?.trim();
  if (!raw) return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 9) throw new Error(`KAFKA_NODES must be a whole number from 1 to 9, got "${raw}"`);
  return n;
}

/**
 * An N-node KRaft cluster on loopback: every node is both broker and controller, with its own
 * client port, controller port and data folder, and a static quorum of all of them. The nodes
 * start together (none is live before a majority of controllers is up). Each JVM is guarded like
 * a single broker: it dies with this process.
 */
export async function startLocalKafkaCluster(opts: LocalKafkaClusterOptions): Promise<LocalKafkaCluster> {
  const size = opts.nodes ?? 3;
  if (!Number.isInteger(size) || size < 1) throw new Error(`a cluster needs at least one node, got ${size}`);
  const dataDir = resolve(opts.dataDir);
  const free = await pickFreePorts(opts.basePort ? size : 2 * size);
  const nodes: ClusterNode[] = Array.from({ length: size }, (_, i) => ({
    nodeId: i + 1,
    port: opts.basePort ? opts.basePort + i : (free[size + i] as number),
    controllerPort: free[i] as number,
    dataDir: join(dataDir, `node-${i + 1}`),
  }));
  const controllerPorts = new Map(nodes.map((n) => [n.nodeId, n.controllerPort]));
  // Every node must be formatted with one cluster id; node 1 keeps it across restarts.
  const clusterId = clusterIdFor(join(nodes[0]?.dataDir ?? dataDir, 'logs'));
  const live = new Map<number, LocalKafka>();

  const nodeOf = (nodeId: number): ClusterNode => {
    const node = nodes.find((n) => n.nodeId === nodeId);
    if (!node) throw new Error(`no node ${nodeId} in this cluster of ${size}`);
    return node;
  };
  const start = async (node: ClusterNode): Promise<void> => {
    if (live.has(node.nodeId)) return;
    const kafka = await startLocalKafka({
      dataDir: node.dataDir,
      port: node.port,
      controllerPort: node.controllerPort,
      heap: opts.heap ?? '256m',
      cluster: { membership: { nodeId: node.nodeId, controllerPorts }, clusterId },
      ...(opts.log ? { log: opts.log } : {}),
      ...(opts.startTimeoutMs ? { startTimeoutMs: opts.startTimeoutMs } : {}),
    });
    live.set(node.nodeId, kafka);
    void kafka.exited.then(() => {
      if (live.get(node.nodeId) === kafka) live.delete(node.nodeId);
    });
  };
  const end = async (nodeId: number, how: 'stop' | 'kill'): Promise<void> => {
    const kafka = live.get(nodeId);
    if (!kafka) return;
    await kafka[how]();
    live.delete(nodeId);
  };
  const stop = async (): Promise<void> => {
    await Promise.all([...live.keys()].map((id) => end(id, 'stop')));
  };

  const started = await Promise.allSettled(nodes.map(start));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  // Each node waited to list itself; a client may ask any of them, so each must list all.
  try {
    const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
    const ids = nodes.map((n) => n.nodeId);
    const exited = () => (live.size < nodes.length ? new Error('a Kafka node exited while the cluster was starting') : undefined);
    await Promise.all(nodes.map((n) => waitForNodes(`${HOST}:${n.port}`, ids, deadline, exited)));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    brokers: nodes.map((n) => `${HOST}:${n.port}`),
    dataDir,
    nodes,
    running: (nodeId) => live.get(nodeOf(nodeId).nodeId),
    kill: (nodeId) => end(nodeOf(nodeId).nodeId, 'kill'),
    stopNode: (nodeId) => end(nodeOf(nodeId).nodeId, 'stop'),
    startNode: (nodeId) => start(nodeOf(nodeId)),
    stop,
  };
}
