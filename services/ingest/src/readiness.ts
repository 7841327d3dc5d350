import type { IngestHandle } from './service.ts';

/** The ingest's readiness for /readyz: true, false (not consuming), or why its writes fail. */
export function ingestReadiness(ingest: Pick<IngestHandle, 'isReady' | 'stalls'>): boolean | string {
  if (ingest.isReady()) return true;
  const failing = ingest.stalls();
  if (failing.length === 0) return false;
  return failing
    .map((s) => `${s.topic}[${s.partition}] ${s.stalled ? 'stalled' : 'failing'} for ${Math.round(s.failingForMs / 1000)} s: ${s.reason}`)
    .join('; ');
}
