import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

/** The content codings a report body is offered in, besides none at all. */
export type Coding = 'br' | 'gzip';
export type Representation = Coding | 'identity';

// Preferred first when a client weighs several equally (brotli bodies are smaller; each body is
// compressed once per report and version, so its cost is not paid per request).
const OFFERED: readonly Representation[] = ['br', 'gzip', 'identity'];

/**
 * The representation to send for an `Accept-Encoding` header (RFC 9110 section 12.5.3): the
 * offered coding with the highest q-value, `*` standing for any coding not named, and identity
 * acceptable unless excluded. Should the client exclude everything, the body goes uncompressed
 * anyway (the RFC allows ignoring the header rather than answering 406): a report is better than
 * an error a browser cannot explain.
 */
export function negotiateCoding(header: string | undefined): Representation {
  if (!header) return 'identity';
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [rawName = '', ...params] = part.toLowerCase().split(';');
    const name = rawName.trim();
    if (!name) continue;
    const weight = params.map((p) => /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/.exec(p)?.[1]).find((w) => w !== undefined);
    // x-gzip is gzip's old name (RFC 9110 section 8.4.1.3).
    q.set(name === 'x-gzip' ? 'gzip' : name, weight === undefined ? 1 : Number(weight));
  }
  const star = q.get('*');
  // Identity, unless named, is the last resort: acceptable unless `*;q=0` excludes it.
  const weightOf = (r: Representation) => q.get(r) ?? (r === 'identity' ? (star === 0 ? 0 : 0.0001) : (star ?? 0));
  let best: Representation = 'identity';
  let bestWeight = 0;
  for (const r of OFFERED) {
    const w = weightOf(r);
    if (w > bestWeight) [best, bestWeight] = [r, w];
  }
  return best;
}

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/**
 * Compresses off the event loop (zlib's thread pool). Levels chosen for large JSON on a small
 * machine: gzip 6 (zlib's default) and brotli 5, which is smaller than gzip 9 and several times
 * faster than brotli's default of 11 on a 2 MB body.
 */
export function compress(body: Buffer, coding: Coding): Promise<Buffer> {
  if (coding === 'gzip') return gzipAsync(body, { level: 6 });
  return brotli(body, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
  });
}
