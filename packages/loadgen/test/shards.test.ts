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

  it('never lets reference data share a batch with events', () => {
    const batcher = new Batcher(generate(options));
    const first = batcher.next(1000)!;
    expect(first.reference).toBe(true);
    expect(first.messages.every((m) => m.kind === 'reference')).toBe(true);
    const second = batcher.next(1000)!;
    expect(second.reference).toBe(false);
    expect(second.messages.some((m) => m.kind === 'reference')).toBe(false);
  });
});
