/**
 * A token bucket taken from a batch at a time: `take(n)` resolves when n more messages fit
 * under `rate` per second. Tokens accrue up to `burst`; a batch larger than what is available
 * borrows and the next take waits the debt off, so the long-run rate is exact.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void> = abortableSleep,
  ) {
    if (!(rate > 0)) throw new RangeError(`rate must be positive (got ${rate})`);
    this.tokens = burst;
    this.last = now();
  }

  async take(n: number, signal?: AbortSignal): Promise<void> {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
    this.tokens -= n;
    if (this.tokens < 0) await this.sleep((-this.tokens / this.rate) * 1000, signal);
  }
}

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
