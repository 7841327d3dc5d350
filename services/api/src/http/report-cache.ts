import { LRUCache } from 'lru-cache';

/** A report as sent: the serialised body, its content type and its ETag. */
export interface RenderedReport {
  payload: string;
  type: string;
  etag: string;
}

/**
 * Platform reports are read far more often than the facts change (the facts change only when a
 * rollup publishes a day), and a year-long report costs the engine a scan of 366 daily
 * partitions. So a rendered report is kept under the facts version it was computed from:
 * a rollup changes the version and with it every key. Concurrent requests for the same key
 * share one computation; failures are not kept. Memory is bounded by the payloads' size.
 */
export class ReportCache {
  private readonly lru: LRUCache<string, RenderedReport, () => Promise<RenderedReport>>;

  constructor(
    /** Changes whenever the fact tables change. */
    private readonly factsVersion: () => Promise<string>,
    maxBytes = 64 * 1024 * 1024,
  ) {
    this.lru = new LRUCache<string, RenderedReport, () => Promise<RenderedReport>>({
      maxSize: maxBytes,
      sizeCalculation: (r) => r.payload.length + r.etag.length + 64,
      fetchMethod: (_key, _stale, { context }) => context(),
    });
  }

  /** `parts` name the request (URL, format, watermark); the facts version is added here. */
  async get(parts: readonly string[], render: () => Promise<RenderedReport>): Promise<RenderedReport> {
    const key = [await this.factsVersion(), ...parts].join('\n');
    const hit = await this.lru.fetch(key, { context: render });
    // fetch() gives undefined only when the fetch method does; ours always renders.
    return hit ?? render();
  }
}
