// One consume run of the codec comparison (see run.ts): registers ONE candidate codec with kafkajs
// and reads `count` messages of `topic` from the beginning in eachBatch (count + value length, no
// parsing, so the codec's share shows), timed from the first fetch request; prints a RESULT line.
//   KAFKA_BROKERS=... node consume.cjs <candidate> <topic> <count>
// Candidates that are not dependencies of the project are resolved through NODE_PATH.
const { Kafka, logLevel, CompressionTypes, CompressionCodecs } = require('kafkajs');

const [candidate, topic, countArg] = process.argv.slice(2);
const N = Number(countArg);
const brokers = (process.env.KAFKA_BROKERS || '').split(',').filter(Boolean);
if (!brokers.length || !candidate || !topic || !N) throw new Error('usage: KAFKA_BROKERS=... node consume.cjs <candidate> <topic> <count>');

const XERIAL = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0]);
/** snappy-java's stream framing (what kafka-clients writes): 16-byte header, then [int32 BE length, block]... */
function unframe(buf, uncompress) {
  if (buf.length < 16 || !buf.subarray(0, 8).equals(XERIAL)) return uncompress(buf);
  const parts = [];
  for (let off = 16; off < buf.length; ) {
    const n = buf.readUInt32BE(off);
    parts.push(uncompress(buf.subarray(off + 4, off + 4 + n)));
    off += 4 + n;
  }
  return Buffer.concat(parts);
}

// name -> [kafkajs type, () => Promise<(buffer) => Promise<Buffer>|Buffer>]
const CANDIDATES = {
  none: [null, null],
  'gzip-zlib': [null, null], // kafkajs's own gzip codec (node:zlib)
  'snappy-napi': [CompressionTypes.Snappy, async () => { const s = require('snappy'); return (b) => unframe(b, (x) => s.uncompressSync(x)); }],
  'snappy-napi-async': [CompressionTypes.Snappy, async () => {
    const s = require('snappy');
    return async (b) => {
      if (b.length < 16 || !b.subarray(0, 8).equals(XERIAL)) return s.uncompress(b);
      const blocks = [];
      for (let off = 16; off < b.length; ) { const n = b.readUInt32BE(off); blocks.push(b.subarray(off + 4, off + 4 + n)); off += 4 + n; }
      return Buffer.concat(await Promise.all(blocks.map((x) => s.uncompress(x))));
    };
  }],
  snappyjs: [CompressionTypes.Snappy, async () => { const s = require('snappyjs'); return (b) => unframe(b, (x) => s.uncompress(x)); }],
  'kafkajs-snappy': [CompressionTypes.Snappy, async () => { const c = require('kafkajs-snappy')(); return (b) => c.decompress(b); }],
  'lz4-napi': [CompressionTypes.LZ4, async () => { const l = require('lz4-napi'); return (b) => l.decompressFrameSync(b); }],
  'lz4-napi-async': [CompressionTypes.LZ4, async () => { const l = require('lz4-napi'); return (b) => l.decompressFrame(b); }],
  lz4js: [CompressionTypes.LZ4, async () => { const l = require('lz4js'); return (b) => Buffer.from(l.decompress(b)); }],
  'node-zstd': [CompressionTypes.ZSTD, async () => { const { Decoder } = require('@toondepauw/node-zstd'); const d = new Decoder(); return (b) => d.decodeSync(b); }],
  'node-zstd-async': [CompressionTypes.ZSTD, async () => { const { Decoder } = require('@toondepauw/node-zstd'); const d = new Decoder(); return (b) => d.decode(b); }],
  fzstd: [CompressionTypes.ZSTD, async () => { const f = require('fzstd'); return (b) => Buffer.from(f.decompress(b)); }],
  'zstd-codec': [CompressionTypes.ZSTD, () => new Promise((res) => require('zstd-codec').ZstdCodec.run((z) => { const s = new z.Streaming(); res((b) => Buffer.from(s.decompress(b))); }))],
  'zstddec-stream': [CompressionTypes.ZSTD, async () => {
    const { ZSTDDecoder } = await import(require.resolve('zstddec').replace(/zstddec\.mjs$/, 'zstddec-stream.mjs'));
    const d = new ZSTDDecoder(); await d.init();
    return (b) => Buffer.concat([...d.decodeStreaming([b])]);
  }],
};
if (!(candidate in CANDIDATES)) throw new Error(`unknown candidate ${candidate} (have ${Object.keys(CANDIDATES).join(', ')})`);

(async () => {
  const tStart = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let decompressNs = 0n, decompressCpuUs = 0, decompressCalls = 0, decompressedBytes = 0, compressedBytes = 0;
  // The second half of the run alone: JavaScript and WebAssembly codecs get faster once V8 has
  // optimised them, which a short run hides.
  let lateNs = 0n, lateBytes = 0;
  let count = 0;
  const [type, load] = CANDIDATES[candidate];
  if (type !== null) {
    const decompress = await load();
    CompressionCodecs[type] = () => ({
      async compress() { throw new Error(`${candidate}: compress not measured here`); },
      async decompress(buffer) {
        const t = process.hrtime.bigint();
        const cpu = process.cpuUsage();
        const out = await decompress(buffer);
        decompressNs += process.hrtime.bigint() - t;
        const used = process.cpuUsage(cpu); // the whole process: exact for a synchronous codec only
        decompressCpuUs += used.user + used.system;
        decompressCalls++; compressedBytes += buffer.length; decompressedBytes += out.length;
        if (count >= N / 2) { lateNs += process.hrtime.bigint() - t; lateBytes += out.length; }
        return out;
      },
    });
  }
  const tLoaded = process.hrtime.bigint();
  const kafka = new Kafka({ clientId: `codec-${candidate}`, brokers, logLevel: logLevel.WARN });
  const consumer = kafka.consumer({ groupId: `codec-${candidate}-${Date.now()}-${process.pid}` });
  let bytes = 0, batches = 0, tFirst = null, cpuFirst = null, peakRss = 0;
  // The clock starts with the first fetch request (after the group join), not with the first
  // batch handed over: that one was already fetched and decompressed.
  consumer.on(consumer.events.FETCH_START, () => {
    if (tFirst === null) { tFirst = process.hrtime.bigint(); cpuFirst = process.cpuUsage(); }
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let resolveDone;
  const done = new Promise((r) => (resolveDone = r));
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 100);
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      batches++;
      for (const m of batch.messages) { count++; bytes += m.value.length; }
      if (count >= N) resolveDone();
    },
  });
  await done;
  const tEnd = process.hrtime.bigint();
  const cpuEnd = process.cpuUsage();
  clearInterval(rssTimer);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  await consumer.disconnect();
  const steadyS = Number(tEnd - tFirst) / 1e9;
  const cpuSteady = (cpuEnd.user + cpuEnd.system - cpuFirst.user - cpuFirst.system) / 1e6;
  const r = {
    candidate, topic, load1: require('os').loadavg()[0], count, bytes, batches,
    loadMs: Math.round(Number(tLoaded - tStart) / 1e6),
    startupToFirstMsgS: +(Number(tFirst - tStart) / 1e9).toFixed(3),
    steadyS: +steadyS.toFixed(3),
    msgsPerSecSteady: Math.round(count / steadyS),
    cpuUsPerMsg: +((cpuSteady / count) * 1e6).toFixed(3),
    cpuSecTotal: +((cpuEnd.user + cpuEnd.system - cpuStart.user - cpuStart.system) / 1e6).toFixed(3),
    decompressCalls, compressedMB: +(compressedBytes / 2 ** 20).toFixed(1), decompressedMB: +(decompressedBytes / 2 ** 20).toFixed(1),
    decompressMs: Math.round(Number(decompressNs) / 1e6),
    decompressCpuMs: Math.round(decompressCpuUs / 1e3),
    decompressMBps: decompressNs > 0n ? Math.round(decompressedBytes / 2 ** 20 / (Number(decompressNs) / 1e9)) : null,
    decompressMBpsSecondHalf: lateNs > 0n ? Math.round(lateBytes / 2 ** 20 / (Number(lateNs) / 1e9)) : null,
    peakRssMB: Math.round(peakRss / 2 ** 20),
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  console.log('RESULT ' + JSON.stringify(r));
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
