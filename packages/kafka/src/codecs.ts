// Compression codecs for kafkajs, which implements only gzip: a batch compressed with snappy, lz4
// or zstd (by kafka-clients, librdkafka, or the broker for a topic whose compression.type says so)
// otherwise stops every fetch of its partition with "Snappy compression not implemented".
//
// Each codec is one of kafkajs's CompressionCodecs entries: `compress(encoder)` gets the encoded
// records (`encoder.buffer`) of a batch kafkajs produces, `decompress(buffer)` the compressed
// records of a batch it fetched. Formats, as the Kafka protocol has them:
// - gzip: a gzip stream (node:zlib, as kafkajs's own codec).
// - snappy: kafka-clients writes snappy-java's stream framing (a 16-byte header: 0x82 "SNAPPY" 0,
//   version 1, compatible version 1; then [int32 big-endian length, snappy block] per 32 kB of
//   input); librdkafka and older clients write one raw snappy block. Both are read; the framing
//   is written, which every client reads.
// - lz4: the LZ4 frame format, blocks independent (kafka-clients reads nothing else).
// - zstd: a zstd frame; kafka-clients streams it, so the frame header carries no content size and
//   the decoder must not need one.
// Packages chosen by measurement (docs/benchmarks.md, "Compression codecs"): napi-rs builds whose
// binaries are npm packages (no install script, no download).
import { promisify } from 'node:util';
import { gzip as gzipCb, unzip as unzipCb } from 'node:zlib';
// The default import: Node's ESM view of kafkajs (a CommonJS module) has no named CompressionCodecs.
import kafkajs from 'kafkajs';
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';
import { compressFrameSync as lz4Compress, decompressFrameSync as lz4Decompress } from 'lz4-napi';
import { Decoder as ZstdDecoder, Encoder as ZstdEncoder } from '@toondepauw/node-zstd';

const { CompressionCodecs, CompressionTypes } = kafkajs;

export const CODEC_NAMES = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CodecName = (typeof CODEC_NAMES)[number];

export const CODEC_TYPES: Record<CodecName, number> = {
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** Batches compressed and decompressed in this process, per codec (bytes are the compressed side). */
export interface CodecUsage {
  compressedBatches: number;
  decompressedBatches: number;
  compressedBytes: number;
  decompressedBytes: number;
}

/** The shape kafkajs calls; `usage` and `name` are ours. */
export interface KafkaCodec {
  readonly name: CodecName;
  readonly usage: CodecUsage;
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

// --- snappy-java stream framing ----------------------------------------------------------------

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = Buffer.concat([XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])]);
/** snappy-java's default block: kafka-clients compresses its batches in 32 kB chunks. */
const XERIAL_BLOCK_SIZE = 32 * 1024;

const isXerialFramed = (buf: Buffer) => buf.length >= XERIAL_HEADER.length && buf.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC);

/** snappy-java framing of `data`, as kafka-clients writes it: header, then each 32 kB chunk as [length, block]. */
export function snappyFrame(data: Buffer): Buffer {
  const parts: Buffer[] = [XERIAL_HEADER];
  for (let off = 0; off < data.length; off += XERIAL_BLOCK_SIZE) {
    const block = snappyCompress(data.subarray(off, off + XERIAL_BLOCK_SIZE));
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

/** Reads snappy-java framing, or a single raw snappy block (librdkafka, older clients). */
export function snappyUnframe(buf: Buffer): Buffer {
  if (!isXerialFramed(buf)) return snappyUncompress(buf) as Buffer;
  const parts: Buffer[] = [];
  let off = XERIAL_HEADER.length;
  while (off < buf.length) {
    if (off + 4 > buf.length) throw new Error(`snappy: truncated chunk length at byte ${off} of ${buf.length}`);
    const length = buf.readUInt32BE(off);
    off += 4;
    if (off + length > buf.length) throw new Error(`snappy: chunk of ${length} bytes at byte ${off} overruns the ${buf.length}-byte batch`);
    parts.push(snappyUncompress(buf.subarray(off, off + length)) as Buffer);
    off += length;
  }
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

// --- the codecs --------------------------------------------------------------------------------

const gzip = promisify(gzipCb);
const unzip = promisify(unzipCb);
/** Kafka's default zstd level (compression.zstd.level). */
const ZSTD_LEVEL = 3;
const zstdEncoder = new ZstdEncoder(ZSTD_LEVEL);
const zstdDecoder = new ZstdDecoder();

const IMPLEMENTATIONS: Record<CodecName, { compress(data: Buffer): Buffer | Promise<Buffer>; decompress(data: Buffer): Buffer | Promise<Buffer> }> = {
  gzip: { compress: (d) => gzip(d), decompress: (d) => unzip(d) },
  snappy: { compress: snappyFrame, decompress: snappyUnframe },
  lz4: { compress: (d) => lz4Compress(d), decompress: (d) => lz4Decompress(d) },
  zstd: { compress: (d) => zstdEncoder.encodeSync(d), decompress: (d) => zstdDecoder.decodeSync(d) },
};

function makeCodec(name: CodecName): KafkaCodec {
  const impl = IMPLEMENTATIONS[name];
  const usage: CodecUsage = { compressedBatches: 0, decompressedBatches: 0, compressedBytes: 0, decompressedBytes: 0 };
  return {
    name,
    usage,
    async compress(encoder) {
      const out = await impl.compress(encoder.buffer);
      usage.compressedBatches++;
      usage.compressedBytes += out.length;
      return out;
    },
    async decompress(buffer) {
      let out: Buffer;
      try {
        out = await impl.decompress(buffer);
      } catch (err) {
        // kafkajs logs only the message: say which codec failed on how many bytes.
        throw new Error(`${name} decompression of a ${buffer.length}-byte batch failed: ${(err as Error).message}`, { cause: err });
      }
      usage.decompressedBatches++;
      usage.decompressedBytes += buffer.length;
      return out;
    },
  };
}

const codecs = Object.fromEntries(CODEC_NAMES.map((n) => [n, makeCodec(n)])) as Record<CodecName, KafkaCodec>;

/** kafkajs's registry, typed loosely: its declaration lists the four entries as `() => any`. */
const registry = CompressionCodecs as unknown as Record<number, () => unknown>;

/**
 * Makes kafkajs (one registry per process) read and write all four codecs. Idempotent; runs when
 * this module is first imported, which `createKafka` does, so every client of the project has them.
 */
export function registerCodecs(): void {
  for (const name of CODEC_NAMES) {
    const codec = codecs[name];
    registry[CODEC_TYPES[name]] = () => codec;
  }
}
registerCodecs();

/** Batches through each of the registered codecs so far in this process (zero for a codec not ours). */
export function codecUsage(): Record<CodecName, CodecUsage> {
  return Object.fromEntries(
    CODEC_NAMES.map((name) => {
      let usage: CodecUsage | undefined;
      try {
        usage = (registry[CODEC_TYPES[name]]?.() as Partial<KafkaCodec> | undefined)?.usage;
      } catch {
        // kafkajs's own placeholder throws "not implemented"
      }
      return [name, { ...(usage ?? { compressedBatches: 0, decompressedBatches: 0, compressedBytes: 0, decompressedBytes: 0 }) }];
    }),
  ) as Record<CodecName, CodecUsage>;
}
