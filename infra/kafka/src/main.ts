import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { clusterSizeFromEnv, startLocalKafka, startLocalKafkaCluster } from './index.ts';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    port: { type: 'string', default: '9092' },
    // A cluster of N combined broker+controller nodes on ports port..port+N-1 (default: KAFKA_NODES, else 1).
    nodes: { type: 'string' },
  },
});

const port = Number(values.port);
let nodes: number;
try {
  nodes = clusterSizeFromEnv({ KAFKA_NODES: values.nodes ?? process.env.KAFKA_NODES });
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(2);
}
if (!Number.isInteger(port) || port < 0 || port + nodes - 1 > 65535) {
  console.error(`invalid --port ${values.port}`);
  process.exit(2);
}
// A cluster keeps its nodes apart from the single broker's data: their formats differ.
const dataDir = values['data-dir'] ?? fileURLToPath(new URL(nodes > 1 ? '../.data-cluster' : '../.data', import.meta.url));

try {
  const log = (msg: string) => console.error(msg);
  const kafka =
    nodes > 1
      ? await startLocalKafkaCluster({ dataDir, nodes, basePort: port, log })
      : await startLocalKafka({ dataDir, port, log });
  console.log(`KAFKA_BROKERS=${kafka.brokers.join(',')}`);
  console.error('press Ctrl-C to stop');

  const shutdown = () => {
    console.error('stopping Kafka...');
    void kafka.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  if ('exited' in kafka) {
    // Resolving without our stop() means the broker died on its own; 130/143 are the JVM's clean exits on INT/TERM.
    const { code } = await kafka.exited;
    process.exitCode = code === 0 || code === 130 || code === 143 ? 0 : 1;
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
