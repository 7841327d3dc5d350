import { describe, expect, it } from 'vitest';
import { Batcher } from '../src/batcher.ts';
import { generate, generateAll, mergeTallies, TallyBuilder } from '../src/index.ts';

describe('shards (one per producing thread)', () => {
  const options = { count: 12_000, services: 6, seed: 31, days: 5, endDay: '2024-08-31', lateFraction: 0.05, duplicateFraction: 0.03, invalidFraction: 0.01 };
  const { generation, messages, tally } = generateAll(options);
  const text = (ms: typeof messages) => ms.map((m) => `${m.topic} ${m.key.toString()} ${m.value.toString()}`);

  for (const count of [2, 3]) {
    it(`split the same stream in ${count}, each share in stream order`, () => {
      const shares = Array.from({ length: count }, (_, index) => [...generation.messages({ index, count })]);
      const all = text(messages);
      expect(shares.flat()).toHaveLength(messages.length);
      expect(text(shares.flat()).sort()).toEqual([...all].sort());
      for (const share of shares) {
        // Each share is a subsequence of the whole stream.
        let at = 0;
        for (const line of text(share)) {
          at = all.indexOf(line, at);
          expect(at).toBeGreaterThanOrEqual(0);
          at++;
        }
      }
      const parts = shares.map((share) => new TallyBuilder(generation).addAll(share).result());
      expect(mergeTallies(parts)).toEqual(tally);
      expect(shares.slice(1).every((share) => share.every((m) => m.kind !== 'reference'))).toBe(true);
    });
  }

  it('never lets reference data share a batch with events', async () => {
    const batcher = Batcher.of(generate(options));
    const first = (await batcher.next(1000))!;
    expect(first.reference).toBe(true);
    expect(first.messages.every((m) => m.kind === 'reference')).toBe(true);
    const second = (await batcher.next(1000))!;
    expect(second.reference).toBe(false);
    expect(second.messages.some((m) => m.kind === 'reference')).toBe(false);
  });

  it('batches the whole stream, in order, when one producer takes every chunk', async () => {
    const batcher = Batcher.of(generate(options));
    const sent = [];
    for (let b = await batcher.next(777); b; b = await batcher.next(777)) sent.push(...b.messages);
    expect(text(sent)).toEqual(text(messages));
  });

  it('gives the same messages and tally when chunks go to whichever producer asks first', async () => {
    let next = 0;
    const take = async () => (next < generation.chunkCount ? next++ : null);
    const producers = [new Batcher(generation.blocks(take, true)), new Batcher(generation.blocks(take, false)), new Batcher(generation.blocks(take, false))];
    const shares = producers.map(() => [] as typeof messages);
    // Round-robin pulls of uneven sizes, as threads of different speeds would.
    for (let live = producers.length; live > 0; ) {
      live = 0;
      for (const [i, p] of producers.entries()) {
        const b = await p.next(100 + 150 * i);
        if (b) {
          shares[i]!.push(...b.messages);
          live++;
        }
      }
    }
    expect(text(shares.flat()).sort()).toEqual(text(messages).sort());
    expect(mergeTallies(shares.map((s) => new TallyBuilder(generation).addAll(s).result()))).toEqual(tally);
  });
});
