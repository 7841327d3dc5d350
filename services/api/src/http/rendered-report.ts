import { createHash } from 'node:crypto';
import { compress, type Coding, type Representation } from './content-coding.ts';

/** One representation of a report: the bytes as sent and their own ETag. */
export interface EncodedBody {
  body: Buffer;
  etag: string;
  /** Absent for identity. */
  coding?: Coding;
}

/**
 * A report as rendered once: its body, content type and the watermark it was computed under,
 * with each compressed representation made on first demand and kept (one compression per
 * coding, however many requests ask for it). Each representation has its own ETag (the
 * identity ETag with the coding appended), as RFC 9110 section 8.8.3 wants: a 304 is only
 * given for the exact bytes the client holds.
 */
export class RenderedReport {
  readonly body: Buffer;
  readonly etag: string;
  private readonly encoded = new Map<Coding, Promise<EncodedBody>>();
  private encodedBytes = 0;
  private grown: (() => void) | undefined;

  constructor(
    payload: string | Buffer,
    readonly type: string,
    /** `X-Data-As-Of` of the facts the body was computed from (read before them). */
    readonly asOf: string | null,
  ) {
    this.body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    this.etag = `"${createHash('sha256').update(this.body).digest('base64url').slice(0, 27)}"`;
  }

  /** Bytes held: the body and every compressed body made so far. */
  get storedBytes(): number {
    return this.body.length + this.encodedBytes;
  }

  /** The ETag of a representation, known without making it (a 304 needs no compression). */
  etagOf(coding: Representation): string {
    return coding === 'identity' ? this.etag : `${this.etag.slice(0, -1)}-${coding}"`;
  }

  /** `listener` runs whenever a new compressed body is kept (the cache recounts its bytes). */
  onGrown(listener: () => void): void {
    this.grown = listener;
  }

  /** The representation for a negotiated coding, compressed on first demand. */
  representation(coding: Representation): Promise<EncodedBody> | EncodedBody {
    if (coding === 'identity') return { body: this.body, etag: this.etag };
    let pending = this.encoded.get(coding);
    if (!pending) {
      pending = compress(this.body, coding).then((body) => {
        this.encodedBytes += body.length;
        this.grown?.();
        return { body, etag: this.etagOf(coding), coding };
      });
      // A failed compression is not kept: the next request tries again.
      pending.catch(() => this.encoded.delete(coding));
      this.encoded.set(coding, pending);
    }
    return pending;
  }
}
