// The freshness watermark's bookkeeping: which probe time the processed positions cover. Pure:
// the end offsets are given, not read from a broker (the e2e tests read X-Data-As-Of through Kafka).
import { describe, expect, it } from 'vitest';
import { IngestProgress } from '../src/index.ts';

/** A progress whose probes at times 1, 2, ... saw the end offset 10 × that time on one partition. */
async function probed(times: number, maxProbes = 120) {
  let t = 0;
  const progress = new IngestProgress(async () => new Map([['status:0', 10 * t]]), maxProbes);
  for (t = 1; t <= times; t++) await progress.probe(t);
  return progress;
}

describe('IngestProgress', () => {
  it('answers the newest probe whose end offsets the positions reached, and nothing before the first', async () => {
    const progress = await probed(5);
    expect(progress.caughtUpTo(new Map([['status:0', 9]]))).toBeNull();
    expect(progress.caughtUpTo(new Map([['status:0', 35]]))).toBe(3);
    // Probes already passed are forgotten; the next answer is a later probe.
    expect(progress.caughtUpTo(new Map([['status:0', 35]]))).toBeNull();
    expect(progress.caughtUpTo(new Map([['status:0', 50]]))).toBe(5);
  });

  it('needs every partition of a probe reached', async () => {
    const progress = new IngestProgress(async () => new Map([['status:0', 10], ['status:1', 20]]));
    await progress.probe(7);
    expect(progress.caughtUpTo(new Map([['status:0', 10], ['status:1', 19]]))).toBeNull();
    expect(progress.caughtUpTo(new Map([['status:0', 10]]))).toBeNull();
    expect(progress.caughtUpTo(new Map([['status:0', 10], ['status:1', 20]]))).toBe(7);
  });

  it('keeps moving through a backlog longer than the probes it keeps: old probes are thinned out, not dropped', async () => {
    // 40 probes kept at most 8: a consumer still at offset 125 (probe 12) must get a watermark
    // between the first probe and 12, and never past what it reached.
    const progress = await probed(40, 8);
    const caught = progress.caughtUpTo(new Map([['status:0', 125]]));
    expect(caught).not.toBeNull();
    expect(caught!).toBeLessThanOrEqual(12);
    // The newest probe is always kept: a consumer that caught up gets the latest time.
    expect(progress.caughtUpTo(new Map([['status:0', 400]]))).toBe(40);
  });
});
