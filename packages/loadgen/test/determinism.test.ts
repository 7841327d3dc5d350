import { describe, expect, it } from 'vitest';
import { generate, generateAll } from '../src/index.ts';

const options = { count: 3000, services: 4, seed: 11, days: 5, endDay: '2024-03-31', lateFraction: 0.1, duplicateFraction: 0.05, invalidFraction: 0.02 };
const wire = (messages: ReturnType<typeof generateAll>['messages']) => messages.map((m) => `${m.topic} ${m.key.toString()} ${m.value.toString()}`);

describe('determinism', () => {
  it('gives the same messages for the same seed, also when the stream is replayed', () => {
    const a = wire(generateAll(options).messages);
    const b = wire(generateAll(options).messages);
    expect(b).toEqual(a);
    const g = generate(options);
    expect(wire([...g.messages()])).toEqual(wire([...g.messages()]));
  });

  it('gives different messages for a different seed', () => {
    const a = wire(generateAll(options).messages);
    const b = wire(generateAll({ ...options, seed: 12 }).messages);
    const same = a.filter((m, i) => b[i] === m).length;
    // Only the rates (no random part) can coincide.
    expect(same).toBeLessThan(30);
  });

  it('produces exactly `count` messages, or rate x duration', () => {
    for (const count of [31, 32, 45, 1000, 2345]) {
      expect(generateAll({ ...options, services: 1, count }).messages).toHaveLength(count);
    }
    expect(generateAll({ ...options, count: undefined, rate: 500, duration: 3 }).messages).toHaveLength(1500);
    // 1 service over two financial years: 1 organisation, 1 service, 2 allowances, 1 sms rate, 25 letter rates, 1 API key.
    expect(() => generate({ ...options, services: 1, count: 30 })).toThrow('count gives 30 messages, fewer than the reference data alone (31 messages for 1 services)');
  });

  it('spreads notifications over every requested day and no other', () => {
    const { tally } = generateAll({ ...options, count: 20_000, days: 9, lateFraction: 0 });
    expect(tally.days.map((d) => d.day)).toEqual([
      '2024-03-23', '2024-03-24', '2024-03-25', '2024-03-26', '2024-03-27', '2024-03-28', '2024-03-29', '2024-03-30', '2024-03-31',
    ]);
  });
});
