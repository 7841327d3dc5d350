import { parseTimestamp, type Timestamp } from './fields.ts';
import { MAX_BILLABLE_UNITS, MAX_RATE_MULTIPLIER, type NotificationStatusEvent } from './status-event.ts';
import { KEY_TYPES, NOTIFICATION_TYPES, POSTAGES, STATUSES } from './vocabulary.ts';

// The ingest worker decodes every status event, and zod's generic machinery was the largest
// share of its CPU after garbage collection (docs/benchmarks.md). This checks a parsed object
// field by field, allocating only the result, and accepts exactly what the zod schema accepts
// with the same output. Anything it does not accept goes to the zod schema, which stays the one
// source of rejection reasons; the decoder test compares the two on valid and broken events.

const NOTIFICATION_TYPE = new Set<string>(NOTIFICATION_TYPES);
const KEY_TYPE = new Set<string>(KEY_TYPES);
const STATUS = new Set<string>(STATUSES);
const POSTAGE = new Set<string>(POSTAGES);

type Json = Record<string, unknown>;

/** The event, or null when the zod schema has to decide (and explain). */
export function fastStatusEvent(o: Json): NotificationStatusEvent | null {
  const eventId = uuidOf(o.event_id);
  const notificationId = uuidOf(o.notification_id);
  const serviceId = uuidOf(o.service_id);
  const templateId = o.template_id == null ? null : uuidOf(o.template_id);
  const jobId = o.job_id == null ? null : uuidOf(o.job_id);
  if (eventId === null || notificationId === null || serviceId === null) return null;
  if ((templateId === null && o.template_id != null) || (jobId === null && o.job_id != null)) return null;

  const { notification_type: type, key_type: keyType, status, billable_units: units, rate_multiplier: multiplier } = o;
  if (typeof type !== 'string' || !NOTIFICATION_TYPE.has(type)) return null;
  if (typeof keyType !== 'string' || !KEY_TYPE.has(keyType)) return null;
  if (typeof status !== 'string' || !STATUS.has(status)) return null;
  if (!Number.isInteger(units) || (units as number) < 0 || (units as number) > MAX_BILLABLE_UNITS) return null;
  if (multiplier != null && (!Number.isInteger(multiplier) || (multiplier as number) < 0 || (multiplier as number) > MAX_RATE_MULTIPLIER)) return null;
  if (o.international != null && typeof o.international !== 'boolean') return null;
  if (o.sent_by != null && (typeof o.sent_by !== 'string' || o.sent_by.length > 255)) return null;
  if (o.postage != null && (typeof o.postage !== 'string' || !POSTAGE.has(o.postage))) return null;

  const createdAt = timestampOf(o.created_at);
  const updatedAt = timestampOf(o.updated_at);
  if (createdAt === null || updatedAt === null) return null;
  return {
    event_id: eventId,
    notification_id: notificationId,
    service_id: serviceId,
    template_id: templateId,
    job_id: jobId,
    notification_type: type as NotificationStatusEvent['notification_type'],
    key_type: keyType as NotificationStatusEvent['key_type'],
    status: status as NotificationStatusEvent['status'],
    created_at: createdAt,
    updated_at: updatedAt,
    billable_units: units as number,
    rate_multiplier: (multiplier ?? null) as number | null,
    international: (o.international ?? null) as boolean | null,
    sent_by: (o.sent_by ?? null) as string | null,
    postage: (o.postage ?? null) as NotificationStatusEvent['postage'],
  };
}

function timestampOf(v: unknown): Timestamp | null {
  if (typeof v !== 'string') return null;
  const t = parseTimestamp(v);
  return typeof t === 'string' ? null : t;
}

/** An 8-4-4-4-12 hex id, lower-cased (the zod `uuid` field's output), or null. */
function uuidOf(v: unknown): string | null {
  if (typeof v !== 'string' || v.length !== 36) return null;
  let upper = false;
  for (let i = 0; i < 36; i++) {
    const c = v.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45 /* - */) return null;
    } else if (c >= 65 && c <= 70) {
      upper = true;
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) {
      return null;
    }
  }
  return upper ? v.toLowerCase() : v;
}
