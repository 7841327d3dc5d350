import { describe, expect, it } from 'vitest';
import { StuckPartitionDetector } from '../src/stuck-partitions.ts';

const T = 'notify.notification-status.v1';

describe('StuckPartitionDetector', () => {
  const clock = () => {
    const c = { ms: 1_000_000, now: () => c.ms };
    return c;
  };

  it('reports a lagging partition whose committed offset has not moved for the threshold, and only then', () => {
    const c = clock();
    const d = new StuckPartitionDetector(60_000, c.now);
    const stuck = { topic: T, partition: 0, committed: 18_000, lag: 3_407 };
    expect(d.observe([stuck])).toEqual([]);
    c.ms += 59_999;
    expect(d.observe([stuck])).toEqual([]);
    c.ms += 1;
    expect(d.observe([stuck])).toEqual([stuck]);
  });

  it('starts the clock again when the committed offset moves', () => {
    const c = clock();
    const d = new StuckPartitionDetector(60_000, c.now);
    d.observe([{ topic: T, partition: 1, committed: 100, lag: 50 }]);
    c.ms += 50_000;
    expect(d.observe([{ topic: T, partition: 1, committed: 120, lag: 80 }])).toEqual([]);
    c.ms += 50_000;
    // 100 s since the first sight, 50 s since it moved.
    expect(d.observe([{ topic: T, partition: 1, committed: 120, lag: 80 }])).toEqual([]);
  });

  it('never reports a caught-up partition, and forgets one that caught up', () => {
    const c = clock();
    const d = new StuckPartitionDetector(60_000, c.now);
    d.observe([{ topic: T, partition: 2, committed: 500, lag: 10 }]);
    c.ms += 30_000;
    d.observe([{ topic: T, partition: 2, committed: 500, lag: 0 }]);
    c.ms += 40_000;
    // Lagging again with the same committed offset: 40 s since it lagged again, not 70 s.
    expect(d.observe([{ topic: T, partition: 2, committed: 500, lag: 3 }])).toEqual([]);
    c.ms += 120_000;
    expect(d.observe([{ topic: T, partition: 2, committed: 500, lag: 0 }])).toEqual([]);
  });

  it('forgets everything on reset (a rebalance changed what the consumer owns)', () => {
    const c = clock();
    const d = new StuckPartitionDetector(60_000, c.now);
    const p = { topic: T, partition: 3, committed: 7, lag: 1 };
    d.observe([p]);
    c.ms += 59_000;
    d.reset();
    c.ms += 2_000;
    expect(d.observe([p])).toEqual([]);
  });

  it('keeps partitions apart: one stuck beside one moving', () => {
    const c = clock();
    const d = new StuckPartitionDetector(10_000, c.now);
    d.observe([
      { topic: T, partition: 0, committed: 10, lag: 5 },
      { topic: T, partition: 1, committed: 10, lag: 5 },
    ]);
    c.ms += 10_000;
    expect(
      d.observe([
        { topic: T, partition: 0, committed: 10, lag: 9 },
        { topic: T, partition: 1, committed: 12, lag: 5 },
      ]),
    ).toEqual([{ topic: T, partition: 0, committed: 10, lag: 9 }]);
  });
});
