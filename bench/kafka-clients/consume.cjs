// See produce.cjs for what this is. Counts 1M messages of topic "bench" in eachBatch (json: also JSON.parse).
// usage: node consume.cjs <kafkajs|confluent> <plain|json> [runLabel]
const lib = process.argv[2], mode = process.argv[3], label = process.argv[4] || '';
const brokers = (process.env.KAFKA_BROKERS || '').split(',').filter(Boolean);
if (!brokers.length) throw new Error('set KAFKA_BROKERS');
const TOPIC = 'bench', N = 1_000_000;
const groupId = `g-${lib}-${mode}-${Date.now()}-${process.pid}`;
let consumer;
if (lib === 'kafkajs') {
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({ clientId: 'c-kafkajs', brokers, logLevel: logLevel.WARN });
  consumer = kafka.consumer({ groupId });
} else {
  const { Kafka, logLevel } = require('@confluentinc/kafka-javascript').KafkaJS;
  const kafka = new Kafka({ kafkaJS: { clientId: 'c-confluent', brokers, logLevel: logLevel.WARN } });
  const cfg = { kafkaJS: { groupId, fromBeginning: true } };
  if (process.env.CF_BATCH) cfg['js.consumer.max.batch.size'] = +process.env.CF_BATCH;
  consumer = kafka.consumer(cfg);
}
(async () => {
  const tStart = process.hrtime.bigint(); const cpuStart = process.cpuUsage();
  await consumer.connect();
  if (lib === 'kafkajs') await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  else await consumer.subscribe({ topics: [TOPIC] });
  let count = 0, bytes = 0, batches = 0, maxBatch = 0, tFirst = null, cpuFirst = null, parsed = 0;
  let resolveDone; const done = new Promise((r) => (resolveDone = r));
  const tRun = process.hrtime.bigint();
  await consumer.run({
    eachBatch: async ({ batch }) => {
      if (tFirst === null) { tFirst = process.hrtime.bigint(); cpuFirst = process.cpuUsage(); }
      const msgs = batch.messages; batches++; if (msgs.length > maxBatch) maxBatch = msgs.length;
      for (const m of msgs) {
        count++; bytes += m.value.length;
        if (mode === 'json') { const o = JSON.parse(m.value.toString()); parsed += o.id & 1; }
      }
      if (count >= N) resolveDone();
    },
  });
  await done;
  const tEnd = process.hrtime.bigint(); const cpuEnd = process.cpuUsage();
  const steadyS = Number(tEnd - tFirst) / 1e9, totalS = Number(tEnd - tStart) / 1e9;
  const cpuSteady = (cpuEnd.user + cpuEnd.system - cpuFirst.user - cpuFirst.system) / 1e6;
  const cpuTotal = (cpuEnd.user + cpuEnd.system - cpuStart.user - cpuStart.system) / 1e6;
  const td = process.hrtime.bigint();
  await consumer.disconnect();
  const disconnectS = Number(process.hrtime.bigint() - td) / 1e9;
  const r = {
    lib, mode, label, cfBatch: process.env.CF_BATCH || null, load1: require('os').loadavg()[0], count, bytes, batches, avgBatch: +(count / batches).toFixed(1), maxBatch,
    startupToFirstMsgS: +(Number(tFirst - tStart) / 1e9).toFixed(3),
    steadyS: +steadyS.toFixed(3), totalS: +totalS.toFixed(3),
    msgsPerSecSteady: Math.round(count / steadyS), msgsPerSecTotal: Math.round(count / totalS),
    cpuSecPerMillionSteady: +(cpuSteady / count * 1e6).toFixed(3), cpuSecPerMillionTotal: +(cpuTotal / count * 1e6).toFixed(3),
    cpuUserS: +((cpuEnd.user - cpuStart.user) / 1e6).toFixed(3), cpuSysS: +((cpuEnd.system - cpuStart.system) / 1e6).toFixed(3),
    disconnectS: +disconnectS.toFixed(3), rssMB: Math.round(process.memoryUsage().rss / 1048576),
  };
  console.log('RESULT ' + JSON.stringify(r));
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
