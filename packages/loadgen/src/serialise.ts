// Hand-written JSON for the hot path, straight into byte blocks (arena.ts). Every value written
// here is an id, a vocabulary word, a number or a timestamp: none needs escaping. The tests check
// that the output parses and passes the contract.
//
// Optional fields at their contract default are left out: null job_id, rate_multiplier, postage
// and sent_by, and international false (the contract reads an absent field as null, and a null
// international as false). It keeps most records under the 512 bytes kafkajs allocates per record
// (a larger one costs it a second allocation and a copy).
import { STATUSES, type Status } from '@notify-stats/events';
import { ByteArena } from './arena.ts';
import type { Rng } from './ids.ts';
import type { Lifecycle } from './lifecycles.ts';

const bytes = (s: string) => Buffer.from(s, 'latin1');
function json(v: string | number | boolean | null): string {
  return typeof v === 'string' ? `"${v}"` : String(v);
}

/** `,"name":value`, or nothing when the value is null. */
function optional(name: string, v: string | number | null): string {
  return v === null ? '' : `,"${name}":${json(v)}`;
}

const EVENT_ID = bytes('{"event_id":"');
const QUOTE_COMMA = bytes('",');
const STATUS_PREFIX = new Map<Status, Buffer>(STATUSES.map((s) => [s, bytes(`,"status":"${s}","updated_at":"`)]));
// `","billable_units":N,"sent_by":X}` for each (units, sent_by) pair met so far.
const tails = new Map<string | null, Buffer[]>();

function tail(units: number, sentBy: string | null): Buffer {
  let byUnits = tails.get(sentBy);
  if (!byUnits) tails.set(sentBy, (byUnits = []));
  return (byUnits[units] ??= bytes(`","billable_units":${units}${sentBy === null ? '' : `,"sent_by":"${sentBy}"`}}`));
}

export class Serialiser {
  private readonly arena = new ByteArena();
  private readonly kept = new ByteArena();

  /** A fresh random notification id: the key of its messages. */
  key(rng: Rng): Buffer {
    return this.arena.begin(36).uuid(rng).end();
  }

  /** The fields of a snapshot that stay the same along the whole life. */
  head(lc: Lifecycle, key: Buffer, templateId: string | null, jobId: string | null): Buffer {
    const text =
      `"notification_id":"${key.toString('latin1')}","service_id":"${lc.serviceId}"${optional('template_id', templateId)}${optional('job_id', jobId)},` +
      `"notification_type":"${lc.type}","key_type":"${lc.keyType}","created_at":"${new Date(lc.times[0]!).toISOString()}"` +
      `${optional('rate_multiplier', lc.rateMultiplier)}${lc.international ? ',"international":true' : ''}${optional('postage', lc.postage)}`;
    return this.arena.begin(text.length).ascii(text).end();
  }

  /** The full snapshot after status `step` (events.md section 1). */
  status(lc: Lifecycle, head: Buffer, step: number, rng: Rng): Buffer {
    const sent = step > 0;
    const units = lc.type === 'sms' && !sent ? 0 : lc.units;
    return this.arena
      .begin(head.length + 200)
      .bytes(EVENT_ID)
      .uuid(rng)
      .bytes(QUOTE_COMMA)
      .bytes(head)
      .bytes(STATUS_PREFIX.get(lc.statuses[step]!)!)
      .iso(lc.times[step]!)
      .bytes(tail(units, sent ? lc.provider : null))
      .end();
  }

  /** The print provider's confirmation (events.md section 2). */
  despatch(lc: Lifecycle, key: Buffer, rng: Rng): Buffer {
    const d = lc.despatch!;
    return this.arena
      .begin(200)
      .bytes(EVENT_ID)
      .uuid(rng)
      .ascii(`","notification_id":"`)
      .bytes(key)
      .ascii(`","despatched_on":"${d.day}","cost_threshold":"${d.costThreshold}"}`)
      .end();
  }

  /** A compact copy, for bytes held a long time (late messages), so they do not pin whole blocks. */
  keep(b: Buffer): Buffer {
    return this.kept.begin(b.length).bytes(b).end();
  }
}
