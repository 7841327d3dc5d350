/**
 * A token bucket taken from a batch at a time: `take(n)` resolves when n more messages fit under
 * `rate` per second. A take larger than the tokens available borrows, and waits the debt off, so
 * the long-run rate is exact; tokens accrue up to `burst`, which lets the pace catch up after a
 * late timer (a busy machine) instead of losing that time.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly burst: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(
    private readonly rate: number,
    opts: { burst: number; initial?: number; now?: () => number; sleep?: (ms: number, signal?: AbortSignal) => Promise<void> },
  ) {
    if (!(rate > 0)) throw new RangeError(`rate must be positive (got ${rate})`);
    this.burst = opts.burst;
    this.tokens = opts.initial ?? opts.burst;
    this.now = opts.now ?? (() => performance.now());
    this.sleep = opts.sleep ?? abortableSleep;
    this.last = this.now();
  }

  async take(n: number, signal?: AbortSignal): Promise<void> {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
    this.tokens -= n;
    if (this.tokens < 0) await this.sleep((-this.tokens / this.rate) * 1000, signal);
  }
}

/** The bucket a sender of `batch`-sized takes uses: one batch at once, catching up within 1/4 s. */
export const pacing = (rate: number, batch: number) => new TokenBucket(rate, { burst: Math.max(2 * batch, rate / 4), initial: batch });

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
