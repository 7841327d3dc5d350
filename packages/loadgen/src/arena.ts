// Messages are written straight into large byte blocks and handed out as views into them:
// no intermediate strings, one small view object per message, and duplicates share the view.
import type { Rng } from './ids.ts';

// Two ASCII hex digits per byte value, as one 16-bit lookup.
const HEX_PAIR = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  const s = i.toString(16).padStart(2, '0');
  HEX_PAIR[i] = s.charCodeAt(0) | (s.charCodeAt(1) << 8);
}

const BLOCK = 1 << 20;

export class ByteArena {
  private buf: Buffer = Buffer.allocUnsafeSlow(BLOCK);
  private pos = 0;
  private mark = 0;

  /** Starts a value of at most `max` bytes. */
  begin(max: number): this {
    if (this.pos + max > this.buf.length) {
      this.buf = Buffer.allocUnsafeSlow(Math.max(BLOCK, max));
      this.pos = 0;
    }
    this.mark = this.pos;
    return this;
  }

  /** ASCII text (every string written here is ASCII: ids, vocabulary, numbers, timestamps). */
  ascii(s: string): this {
    this.pos += this.buf.write(s, this.pos, 'latin1');
    return this;
  }

  bytes(b: Uint8Array): this {
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** A random 8-4-4-4-12 id shaped as an RFC 9562 version 4 UUID, 36 ASCII bytes. */
  uuid(rng: Rng): this {
    const a = rng.u32();
    const b = ((rng.u32() & 0xffff0fff) | 0x00004000) >>> 0;
    const c = ((rng.u32() & 0x3fffffff) | 0x80000000) >>> 0;
    const d = rng.u32();
    this.hex32(a).dash().hex16(b >>> 16).dash().hex16(b & 0xffff).dash().hex16(c >>> 16).dash().hex16(c & 0xffff).hex32(d);
    return this;
  }

  /** `ms` as `YYYY-MM-DDTHH:MM:SS.mmmZ` (24 bytes, same as Date#toISOString for years 1000-9999). */
  iso(ms: number): this {
    const days = Math.floor(ms / 86_400_000);
    let rem = ms - days * 86_400_000;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    const z = days + 719_468;
    const era = Math.floor(z / 146_097);
    const doe = z - era * 146_097;
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const month = mp < 10 ? mp + 3 : mp - 9;
    const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    const hour = Math.floor(rem / 3_600_000);
    rem -= hour * 3_600_000;
    const minute = Math.floor(rem / 60_000);
    rem -= minute * 60_000;
    const second = Math.floor(rem / 1000);
    const milli = rem - second * 1000;
    this.digits(year, 4).char(0x2d).digits(month, 2).char(0x2d).digits(day, 2).char(0x54);
    this.digits(hour, 2).char(0x3a).digits(minute, 2).char(0x3a).digits(second, 2).char(0x2e).digits(milli, 3).char(0x5a);
    return this;
  }

  /** A non-negative integer in decimal. */
  int(n: number): this {
    if (n < 10) return this.char(0x30 + n);
    return this.ascii(String(n));
  }

  /** The bytes written since `begin`, as a view (valid for the life of the process). */
  end(): Buffer {
    return this.buf.subarray(this.mark, this.pos);
  }

  private dash(): this {
    return this.char(0x2d);
  }

  private char(c: number): this {
    this.buf[this.pos++] = c;
    return this;
  }

  private digits(n: number, width: number): this {
    for (let i = width - 1; i >= 0; i--) {
      this.buf[this.pos + i] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    }
    this.pos += width;
    return this;
  }

  private hex16(v: number): this {
    this.pair(v >>> 8).pair(v & 255);
    return this;
  }

  private hex32(v: number): this {
    return this.pair(v >>> 24).pair((v >>> 16) & 255).pair((v >>> 8) & 255).pair(v & 255);
  }

  private pair(byte: number): this {
    const p = HEX_PAIR[byte]!;
    this.buf[this.pos++] = p & 255;
    this.buf[this.pos++] = p >>> 8;
    return this;
  }
}
