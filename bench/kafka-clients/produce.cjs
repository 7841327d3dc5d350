// Consume-rate comparison of kafkajs and @confluentinc/kafka-javascript (issue 6: "measure an
// alternative client before deciding"). Not part of `npm run bench`: the confluent client is not a
// dependency. It builds offline with Debian's libsasl2-dev, libzstd-dev and liblz4-dev and
// CKJS_LINKING=dynamic (its default static build downloads sources). Results of 2026-11-22 are in
// bench/results/kafka-clients.json and docs/benchmarks.md.
//   KAFKA_BROKERS=... node produce.cjs   (1M messages of 517 bytes into topic "bench", 6 partitions)
const { Kafka, logLevel } = require('kafkajs');
const brokers = (process.env.KAFKA_BROKERS || '').split(',').filter(Boolean);
if (!brokers.length) throw new Error('set KAFKA_BROKERS');
const TOPIC = 'bench', N = 1_000_000, BATCH = 1000, PARTS = 6;
(async () => {
  const kafka = new Kafka({ clientId: 'prod', brokers, logLevel: logLevel.WARN });
  const admin = kafka.admin(); await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTS, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const p = kafka.producer(); await p.connect();
  const pad = 'x'.repeat(400);
  const mk = (i) => JSON.stringify({ id: i, ts: 1700000000000 + i, user: `user-${i % 9973}`, kind: 'event', tags: ['a', 'b', 'c'], amount: i * 0.01, payload: pad });
  console.log('msg size', Buffer.byteLength(mk(123456)));
  const t0 = Date.now(); let next = 0;
  async function worker() {
    while (next < N) {
      const start = next; next += BATCH;
      const messages = [];
      for (let i = start; i < start + BATCH; i++) messages.push({ partition: i % PARTS, value: mk(i) });
      await p.send({ topic: TOPIC, acks: 1, messages });
    }
  }
  await Promise.all([worker(), worker(), worker(), worker()]);
  const ms = Date.now() - t0;
  await p.disconnect();
  const a2 = kafka.admin(); await a2.connect();
  const offs = await a2.fetchTopicOffsets(TOPIC); await a2.disconnect();
  console.log(JSON.stringify({ produced: N, ms, msgsPerSec: Math.round(N / ms * 1000), offsets: offs.map(o => [o.partition, o.high]) }));
})().catch((e) => { console.error(e); process.exit(1); });
