import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import Decoder from 'kafkajs/src/protocol/decoder.js';
import Record from 'kafkajs/src/protocol/recordBatch/record/v0/index.js';
import { RecordBatch } from 'kafkajs/src/protocol/recordBatch/v0/index.js';
import decodeRecordBatch from 'kafkajs/src/protocol/recordBatch/v0/decoder.js';
import { describe, expect, it } from 'vitest';
import { CODEC_NAMES, CODEC_TYPES, codecUsage, snappyFrame, snappyUnframe, type CodecName } from '../src/index.ts';

const { CompressionCodecs, CompressionTypes } = kafkajs;
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const manifest = JSON.parse(readFileSync(`${FIXTURES}manifest.json`, 'utf8')) as Record<'small' | 'large', { records: number; headerBytes: number; bytes: number; sha256: string }>;

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}
/** The codec kafkajs itself looks up for a batch of this type (its placeholder throws "not implemented"). */
const lookup = (name: CodecName) => (CompressionCodecs as unknown as Record<number, () => Codec>)[CODEC_TYPES[name]]?.() as Codec;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Status-event-like JSON: compresses about as well as the real traffic. */
function jsonLines(count: number): Buffer {
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({ event_id: `ev-${i}-${(i * 2654435761) % 4294967296}`, status: i % 7 ? 'delivered' : 'permanent-failure', billable_units: i % 4, n: i }),
  );
  return Buffer.from(lines.join('\n'));
}

describe('codec registration', () => {
  it('every kafkajs client made by createKafka can read and write the four codecs (a fresh process importing client.ts only)', () => {
    const script = `
      import kafkajs from 'kafkajs';
      import { createKafka } from './src/client.ts';
      const { CompressionCodecs, CompressionTypes } = kafkajs;
      void createKafka;
      const out = {};
      for (const name of ['GZIP', 'Snappy', 'LZ4', 'ZSTD']) {
        try {
          const c = CompressionCodecs[CompressionTypes[name]]();
          const back = await c.decompress(await c.compress({ buffer: Buffer.from('hello hello hello') }));
          out[name] = back.toString();
        } catch (e) {
          out[name] = String(e.message);
        }
      }
      console.log(JSON.stringify(out));`;
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: PACKAGE_DIR, encoding: 'utf8' });
    expect(JSON.parse(stdout.trim().split('\n').pop() as string)).toEqual({ GZIP: 'hello hello hello', Snappy: 'hello hello hello', LZ4: 'hello hello hello', ZSTD: 'hello hello hello' });
  });
});

describe.each(CODEC_NAMES)('%s', (name) => {
  it('round-trips empty, tiny, multi-block and incompressible input through the codec kafkajs looks up', async () => {
    const codec = lookup(name);
    for (const data of [Buffer.alloc(0), Buffer.from('x'), jsonLines(20_000), randomBytes(200_000)]) {
      const compressed = await codec.compress({ buffer: data });
      expect(Buffer.isBuffer(compressed)).toBe(true);
      expect((await codec.decompress(compressed)).equals(data)).toBe(true);
    }
  });

  it('compresses', async () => {
    const data = jsonLines(5_000);
    const compressed = await lookup(name).compress({ buffer: data });
    expect(compressed.length).toBeLessThan(data.length / 3);
  });

  it('carries a kafkajs record batch through its own encoder and decoder (producer and consumer paths)', async () => {
    const messages = Array.from({ length: 800 }, (_, i) => ({ key: Buffer.from(`key-${i}`), value: Buffer.from(JSON.stringify({ i, status: 'delivered', pad: 'p'.repeat(i % 50) })) }));
    const records = messages.map((m, i) => Record({ ...m, offsetDelta: i, timestampDelta: i }));
    const batch = await RecordBatch({ compression: CODEC_TYPES[name], records, firstTimestamp: 1_713_175_200_000, maxTimestamp: 1_713_175_200_799, lastOffsetDelta: 799 });
    const decoded = await decodeRecordBatch(new Decoder(batch.buffer));
    expect(decoded.records).toHaveLength(800);
    expect(decoded.records.map((r) => [r.key?.toString(), r.value?.toString()])).toEqual(messages.map((m) => [m.key.toString(), m.value.toString()]));
  });

  it.each(['small', 'large'] as const)('decompresses the %s batch kafka-clients 3.9.1 wrote (fixture)', async (set) => {
    const m = manifest[set];
    const file = readFileSync(`${FIXTURES}${set}-${name}.bin`);
    // The codec alone, on the bytes after the batch header...
    const records = await lookup(name).decompress(file.subarray(m.headerBytes));
    expect(records.length).toBe(m.bytes);
    expect(sha256(records)).toBe(m.sha256);
    // ...and the whole batch as a kafkajs consumer decodes it.
    const decoded = await decodeRecordBatch(new Decoder(file));
    expect(decoded.records).toHaveLength(m.records);
    if (set === 'small') {
      decoded.records.forEach((r, i) => {
        expect(r.key?.toString()).toBe(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
        expect(JSON.parse(r.value?.toString() ?? 'null')).toMatchObject({ notification_id: r.key?.toString(), n: (i * 7919) % 100003 });
      });
    } else {
      expect(decoded.records.at(-1)?.key?.toString()).toBe('key-000999');
      expect(decoded.records.at(-1)?.value?.toString().endsWith('}999')).toBe(true);
    }
  });

  it('fails with the codec name on corrupt input', async () => {
    const compressed = await lookup(name).compress({ buffer: jsonLines(2_000) });
    const corrupt = Buffer.concat([compressed.subarray(0, 20), Buffer.alloc(64, 0xff)]);
    await expect(lookup(name).decompress(corrupt)).rejects.toThrow(name === 'gzip' ? /./ : new RegExp(`^${name} decompression`));
  });
});

describe('snappy framing', () => {
  it('writes snappy-java framing: header, then [length, block] per 32 kB of input', async () => {
    const data = jsonLines(10_000);
    const framed = await lookup('snappy').compress({ buffer: data });
    expect(framed.subarray(0, 16).equals(Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1]))).toBe(true);
    let chunks = 0;
    for (let off = 16; off < framed.length; chunks++) off += 4 + framed.readUInt32BE(off);
    expect(chunks).toBe(Math.ceil(data.length / 32_768));
  });

  it('reads a raw snappy block (librdkafka, older clients)', async () => {
    const data = jsonLines(1_000);
    const framed = snappyFrame(data);
    // A framing of a short input holds one block; that block alone is a raw snappy stream.
    const short = jsonLines(100);
    const raw = snappyFrame(short).subarray(20);
    expect((await lookup('snappy').decompress(raw)).equals(short)).toBe(true);
    expect(snappyUnframe(framed).equals(data)).toBe(true);
  });

  it('refuses a truncated framing instead of returning part of the batch', () => {
    const framed = snappyFrame(jsonLines(5_000));
    expect(() => snappyUnframe(framed.subarray(0, framed.length - 10))).toThrow(/overruns/);
    expect(() => snappyUnframe(framed.subarray(0, 18))).toThrow(/truncated/);
  });
});

describe('lz4 frames that kafka-clients reads', () => {
  it('are LZ4 frames (magic 0x184D2204) with independent blocks', async () => {
    const frame = await lookup('lz4').compress({ buffer: jsonLines(20_000) });
    expect(frame.readUInt32LE(0)).toBe(0x184d2204);
    const flg = frame[4] as number;
    expect(flg >> 6).toBe(1); // version 01
    expect(flg & 0x20).toBe(0x20); // block independence
  });
});

describe('codecUsage', () => {
  it('counts the batches each codec compressed and decompressed', async () => {
    const before = codecUsage();
    const c = lookup('zstd');
    await c.decompress(await c.compress({ buffer: jsonLines(100) }));
    const after = codecUsage();
    expect(after.zstd.compressedBatches).toBe(before.zstd.compressedBatches + 1);
    expect(after.zstd.decompressedBatches).toBe(before.zstd.decompressedBatches + 1);
    expect(after.snappy).toEqual(before.snappy);
  });
});

it('kafkajs names the same codec numbers as the Kafka protocol', () => {
  expect(CompressionTypes).toMatchObject({ None: 0, GZIP: 1, Snappy: 2, LZ4: 3, ZSTD: 4 });
});
