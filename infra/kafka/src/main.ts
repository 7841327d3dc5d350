import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startLocalKafka } from './index.ts';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: fileURLToPath(new URL('../.data', import.meta.url)) },
    port: { type: 'string', default: '9092' },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port ${values.port}`);
  process.exit(2);
}

try {
  const kafka = await startLocalKafka({
    dataDir: values['data-dir'],
    port,
    log: (msg) => console.error(msg),
  });
  console.log(`KAFKA_BROKERS=${kafka.brokers.join(',')}`);
  console.error('press Ctrl-C to stop');

  const shutdown = () => {
    console.error('stopping Kafka broker...');
    void kafka.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  // Resolving without our stop() means the broker died on its own; 130/143 are the JVM's clean exits on INT/TERM.
  const { code } = await kafka.exited;
  process.exitCode = code === 0 || code === 130 || code === 143 ? 0 : 1;
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
