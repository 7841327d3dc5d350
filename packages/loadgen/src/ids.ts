// Seeded randomness and the ids built from it: every choice the generator makes goes through here.
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const TWO_POW_53 = 9007199254740992;

/**
 * Independent streams of one seed, so adding a draw in one place never shifts another's sequence
 * (chunks of the stream take ids from 1000 up, see chunk.ts).
 */
export const STREAMS = { reference: 1 } as const;

/** splitmix32-style avalanche: nearby seeds (1, 2, 3...) give unrelated generator states. */
export function mixSeed(seed: number, stream: number): number {
  let h = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/** A deterministic random source (pure-rand xoroshiro128+), with the draws the generator needs. */
export class Rng {
  private readonly g: RandomGenerator;

  constructor(seed: number, stream = 0) {
    this.g = xoroshiro128plus(mixSeed(seed, stream));
    for (let i = 0; i < 16; i++) this.g.next(); // leave the weak initial states behind
  }

  u32(): number {
    return this.g.next() >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  float(): number {
    return ((this.g.next() >>> 5) * 67108864 + (this.g.next() >>> 6)) / TWO_POW_53;
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(p: number): boolean {
    return p > 0 && this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.float() * items.length)] as T;
  }

  /** A draw from `[value, weight]` pairs (weights need not sum to 1). */
  weighted<T>(table: WeightedTable<T>): T {
    let x = this.float() * table.total;
    for (const [value, weight] of table.entries) {
      x -= weight;
      if (x < 0) return value;
    }
    return (table.entries[table.entries.length - 1] as [T, number])[0];
  }

  /** A random 8-4-4-4-12 hex id shaped as an RFC 9562 version 4 UUID. */
  uuid(): string {
    const a = this.u32();
    const b = ((this.u32() & 0xffff0fff) | 0x00004000) >>> 0;
    const c = ((this.u32() & 0x3fffffff) | 0x80000000) >>> 0;
    const d = this.u32();
    return (
      HEX[a >>> 24]! + HEX[(a >>> 16) & 255]! + HEX[(a >>> 8) & 255]! + HEX[a & 255]! + '-' +
      HEX[b >>> 24]! + HEX[(b >>> 16) & 255]! + '-' + HEX[(b >>> 8) & 255]! + HEX[b & 255]! + '-' +
      HEX[c >>> 24]! + HEX[(c >>> 16) & 255]! + '-' + HEX[(c >>> 8) & 255]! + HEX[c & 255]! +
      HEX[d >>> 24]! + HEX[(d >>> 16) & 255]! + HEX[(d >>> 8) & 255]! + HEX[d & 255]!
    );
  }

  /** `bytes` random bytes as lowercase hex (API key secrets). */
  hex(bytes: number): string {
    let out = '';
    for (let i = 0; i < bytes; i++) out += HEX[this.u32() & 255]!;
    return out;
  }
}

export interface WeightedTable<T> {
  entries: ReadonlyArray<readonly [T, number]>;
  total: number;
}

export function weights<T>(entries: ReadonlyArray<readonly [T, number]>): WeightedTable<T> {
  const total = entries.reduce((s, [, w]) => s + w, 0);
  if (!(total > 0)) throw new RangeError('weights must have a positive total');
  return { entries, total };
}
