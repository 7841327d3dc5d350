import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ByteArena } from '../src/arena.ts';
import { Rng } from '../src/ids.ts';
import { LoadgenOptionsError, TokenBucket, resolveOptions } from '../src/index.ts';
import { murmur2, partitionOf } from '../src/partition.ts';

const kafkajsMurmur2 = createRequire(import.meta.url)('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: string | Buffer) => number;

describe('ids and bytes', () => {
  it('writes UUIDs and ISO timestamps byte for byte', () => {
    const rng = new Rng(1);
    const arena = new ByteArena();
    for (let i = 0; i < 2000; i++) {
      expect(arena.begin(36).uuid(rng).end().toString()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const ms = Date.UTC(2000, 0, 1) + Math.floor(rng.float() * 100 * 365.25 * 86_400_000);
      expect(arena.begin(24).iso(ms).end().toString()).toBe(new Date(ms).toISOString());
    }
    expect(arena.begin(24).iso(Date.UTC(2024, 1, 29, 23, 59, 59, 999)).end().toString()).toBe('2024-02-29T23:59:59.999Z');
  });

  it("partitions like Kafka's default partitioner", () => {
    const rng = new Rng(2);
    for (let i = 0; i < 500; i++) {
      const key = i % 2 ? rng.uuid() : `service:${rng.hex(i % 13)}`;
      expect(murmur2(key)).toBe(kafkajsMurmur2(key));
      expect(partitionOf(murmur2(key), 6)).toBe((kafkajsMurmur2(key) & 0x7fffffff) % 6);
    }
  });

  it('draws are reproducible and spread', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const xs = Array.from({ length: 1000 }, () => a.float());
    expect(Array.from({ length: 1000 }, () => b.float())).toEqual(xs);
    expect(Math.min(...xs)).toBeLessThan(0.01);
    expect(Math.max(...xs)).toBeGreaterThan(0.99);
    expect(new Rng(8).float()).not.toBe(new Rng(7).float());
  });
});

describe('token bucket', () => {
  it('paces batches to the rate', async () => {
    let now = 0;
    const slept: number[] = [];
    const bucket = new TokenBucket(1000, {
      burst: 250,
      initial: 100,
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });
    for (let i = 0; i < 50; i++) await bucket.take(100);
    // 5000 messages at 1000/s, the first 100 from the initial tokens: 4.9 s of waiting.
    expect(now).toBeCloseTo(4900, 6);
    expect(slept.every((ms) => ms <= 100 + 1e-9)).toBe(true);
  });

  it('catches up after a late timer, up to the burst', async () => {
    let now = 0;
    const bucket = new TokenBucket(1000, { burst: 250, initial: 100, now: () => now, sleep: async (ms) => void (now += ms + 50) });
    for (let i = 0; i < 50; i++) await bucket.take(100);
    // Every sleep overshoots by 50 ms; the tokens that accrue meanwhile are not lost.
    expect(now).toBeLessThan(4900 + 100);
  });

  it('does not wait while tokens have accrued', async () => {
    let now = 0;
    const bucket = new TokenBucket(1000, {
      burst: 500,
      now: () => now,
      sleep: async () => {
        throw new Error('should not wait');
      },
    });
    await bucket.take(500);
    now += 1000;
    await bucket.take(500);
  });
});

describe('options', () => {
  const bad = (o: Parameters<typeof resolveOptions>[0]) => {
    try {
      resolveOptions(o);
    } catch (err) {
      expect(err).toBeInstanceOf(LoadgenOptionsError);
      return (err as LoadgenOptionsError).message;
    }
    throw new Error('accepted');
  };

  it('refuses what makes no sense, saying why', () => {
    expect(bad({})).toBe('give a count, or a duration with a rate');
    expect(bad({ duration: 10 })).toBe('duration needs a rate (messages per second)');
    expect(bad({ count: 10, duration: 10, rate: 5 })).toBe('give either a count, or a duration with a rate, not both');
    expect(bad({ count: 1.5 })).toMatch(/^count must give a whole number/);
    expect(bad({ count: 100, rate: 0 })).toMatch(/^rate must be a positive number/);
    expect(bad({ count: 100, lateFraction: 1.5 })).toBe('lateFraction must be a number from 0 to 1 (got 1.5)');
    expect(bad({ count: 100, invalidFraction: 0.9 })).toBe('invalidFraction must be a number from 0 to 0.5 (got 0.9)');
    expect(bad({ count: 100, endDay: '2024-02-30' })).toBe('endDay must be a date YYYY-MM-DD (got 2024-02-30)');
    expect(bad({ count: 100, services: 0 })).toMatch(/^services must be an integer/);
    expect(bad({ count: 100, days: 0 })).toMatch(/^days must be an integer/);
  });

  it('defaults the end day to yesterday in London', () => {
    // 23:30 UTC on 30 June is already 1 July in London (BST).
    const o = resolveOptions({ count: 10, days: 3 }, new Date('2024-06-30T23:30:00Z'));
    expect([o.firstDay, o.endDay]).toEqual(['2024-06-28', '2024-06-30']);
    expect(resolveOptions({ count: 10, rate: 5 }).rate).toBe(5);
    expect(resolveOptions({ rate: 200, duration: 2.5 }).count).toBe(500);
  });
});
