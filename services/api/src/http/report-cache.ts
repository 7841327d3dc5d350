import { LRUCache } from 'lru-cache';
import type { Coding } from './content-coding.ts';
import type { RenderedReport } from './rendered-report.ts';
import { httpMetrics } from '../metrics.ts';

/** Renders a report from the facts as they are now, under the watermark read before them. */
export type Render = (asOf: string | null) => Promise<RenderedReport>;

interface Entry {
  /** The facts version and watermark it was computed under. */
  freshness: string;
  report: RenderedReport;
  render: Render;
  /** Asked for since it was computed: what makes it worth warming at the next publish. */
  wanted: boolean;
}

export interface ReportCacheOptions {
  /** Changes whenever the fact tables change. */
  factsVersion: () => Promise<string>;
  /** The watermark sent as `X-Data-As-Of`. */
  dataAsOf: () => Promise<string | null>;
  /** Bound on the bytes held: every body, compressed ones included. */
  maxBytes?: number;
  /**
   * Compressed before a new rendering is swapped in (default gzip, which every browser and HTTP
   * client sends), so no reader waits for a compression after a publish; others are made on
   * first demand.
   */
  precompress?: readonly Coding[];
  /** At most this many reports are recomputed by one `warm()`. */
  warmLimit?: number;
  /** Where a failed background computation is told (the stale answer keeps being served). */
  onError?: (err: unknown) => void;
}

/**
 * Platform reports are read far more often than the facts change (they change only when a
 * rollup publishes a day), and a year-long report costs the engine a scan of 366 daily
 * partitions. So a rendered report is kept with the facts version and watermark it was computed
 * under. When either moves, the report kept is still sent (with its own `X-Data-As-Of`, which
 * stays true of its numbers) while one computation of the new version runs; the new rendering
 * replaces it when done (stale-while-revalidate). Nobody waits but the first asker of a report
 * the cache has never held. Concurrent requests share one computation per report and version;
 * failures are not kept. Memory is bounded by the bytes held, compressed bodies included.
 */
export class ReportCache {
  private readonly lru: LRUCache<string, Entry>;
  private readonly flights = new Map<string, Promise<RenderedReport>>();
  private latest = '';
  private warming: Promise<number> | undefined;

  constructor(private readonly opts: ReportCacheOptions) {
    this.lru = new LRUCache<string, Entry>({
      maxSize: opts.maxBytes ?? 64 * 1024 * 1024,
      sizeCalculation: (e, key) => e.report.storedBytes + key.length + 128,
    });
  }

  private async freshness(): Promise<{ freshness: string; asOf: string | null }> {
    const [version, asOf] = await Promise.all([this.opts.factsVersion(), this.opts.dataAsOf()]);
    this.latest = `${version}\n${asOf ?? ''}`;
    return { freshness: this.latest, asOf };
  }

  /** `parts` name the report (URL, format); the newest rendering held is answered at once. */
  async get(parts: readonly string[], render: Render): Promise<RenderedReport> {
    const key = parts.join('\n');
    const { freshness, asOf } = await this.freshness();
    const entry = this.lru.get(key);
    if (entry) entry.wanted = true;
    if (entry?.freshness === freshness) {
      httpMetrics.reportCache.inc({ outcome: 'hit' });
      return entry.report;
    }
    const computed = this.compute(key, freshness, asOf, render);
    httpMetrics.reportCache.inc({ outcome: entry ? 'stale' : 'miss' });
    if (!entry) return computed;
    computed.catch((err: unknown) => this.opts.onError?.(err));
    return entry.report;
  }

  /**
   * Recomputes the reports asked for since their last computation whose facts have moved, most
   * recently used first, one at a time (the embedded engine runs one query at a time, and a
   * request for a report never held should not queue behind many). Called after a publish, so
   * that a popular report is current before its readers come back. Returns how many it renewed.
   */
  warm(): Promise<number> {
    this.warming ??= this.warmOnce().finally(() => (this.warming = undefined));
    return this.warming;
  }

  private async warmOnce(): Promise<number> {
    const { freshness, asOf } = await this.freshness();
    const due = [...this.lru.entries()].filter(([, e]) => e.wanted && e.freshness !== freshness).slice(0, this.opts.warmLimit ?? 8);
    let renewed = 0;
    for (const [key, entry] of due) {
      try {
        await this.compute(key, freshness, asOf, entry.render);
        renewed++;
      } catch (err) {
        this.opts.onError?.(err);
      }
    }
    return renewed;
  }

  /** One computation per report and freshness, however many ask; kept unless a newer one is. */
  private compute(key: string, freshness: string, asOf: string | null, render: Render): Promise<RenderedReport> {
    const flightKey = `${freshness}\n${key}`;
    let flight = this.flights.get(flightKey);
    if (!flight) {
      flight = render(asOf)
        .then(async (report) => {
          await Promise.all((this.opts.precompress ?? ['gzip']).map((c) => report.representation(c)));
          const held = this.lru.peek(key);
          // A slow computation of an older version must not replace a newer one.
          if (!held || held.freshness !== this.latest || freshness === this.latest) this.store(key, { freshness, report, render, wanted: false });
          return report;
        })
        .finally(() => this.flights.delete(flightKey));
      this.flights.set(flightKey, flight);
    }
    return flight;
  }

  private store(key: string, entry: Entry): void {
    this.lru.set(key, entry);
    // A compressed body made later grows the entry: storing it anew recounts its bytes and
    // evicts others if the bound is passed (setting the same value again would not recount).
    entry.report.onGrown(() => {
      if (this.lru.peek(key) !== entry) return;
      this.lru.delete(key);
      this.lru.set(key, entry);
    });
  }

  /** Bytes held, compressed bodies included (for tests and metrics). */
  get storedBytes(): number {
    return this.lru.calculatedSize;
  }
}
