import type { z } from 'zod';
import { fastStatusEvent } from './fast-status.ts';
import { letterDespatchEvent, type LetterDespatchEvent } from './despatch-event.ts';
import { inboundSmsEvent, type InboundSmsEvent } from './inbound-event.ts';
import { TIMESTAMP_RANGE, inTimestampRange } from './fields.ts';
import {
  rateKeyInstant,
  REFERENCE_TYPES,
  referenceRecord,
  referenceTypeOfKey,
  type ReferenceRecord,
  type ReferenceType,
} from './reference-event.ts';
import { notificationStatusEvent, type NotificationStatusEvent } from './status-event.ts';
import { TOPICS, type SourceTopic } from './topics.ts';

/** Larger values are producer bugs; refusing them early keeps one message from costing a batch. */
export const MAX_MESSAGE_BYTES = 256 * 1024;

export type Decoded =
  | { kind: 'status'; event: NotificationStatusEvent }
  | { kind: 'despatch'; event: LetterDespatchEvent }
  | { kind: 'inbound'; event: InboundSmsEvent }
  | { kind: 'reference'; key: string; type: ReferenceType; record: ReferenceRecord }
  | { kind: 'reference-deleted'; key: string; type: ReferenceType }
  | { kind: 'invalid'; reason: string };

type Bytes = Buffer | string | null | undefined;

const text = (b: Bytes): string | null => (b == null ? null : typeof b === 'string' ? b : b.toString('utf8'));
// Keys are stored (reference data): a string key given by a caller may hold a lone surrogate too.
const keyTextOf = (b: Bytes): string | null => text(b)?.toWellFormed() ?? null;

export function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : 'value'}: ${i.message}`)
    .join('; ');
}

/** Turns one Kafka message of a source topic into a typed record, or the reason it breaks the contract. */
export function decodeMessage(topic: SourceTopic, key: Bytes, value: Bytes): Decoded {
  const keyText = keyTextOf(key);
  if (topic === TOPICS.referenceData) {
    const type = keyText === null ? null : referenceTypeOfKey(keyText);
    if (keyText === null || type === null) {
      return invalid(`key must be <type>:<id> with a type of ${REFERENCE_TYPES.join(', ')} (got ${JSON.stringify(keyText)})`);
    }
    const keyProblem = checkReferenceKey(type, keyText);
    if (keyProblem) return invalid(keyProblem);
    // A null value on a log-compacted topic deletes the key.
    if (value == null) return { kind: 'reference-deleted', key: keyText, type };
  }
  if (value == null) return invalid('message has no value');
  const size = typeof value === 'string' ? Buffer.byteLength(value) : value.length;
  if (size > MAX_MESSAGE_BYTES) return invalid(`message is ${size} bytes, larger than the ${MAX_MESSAGE_BYTES} allowed`);

  let json: unknown;
  const body = text(value) as string;
  try {
    json = JSON.parse(body);
  } catch (err) {
    return invalid(`invalid JSON: ${(err as Error).message}`);
  }
  // `\ud800` alone is valid JSON but no character: the engine refuses it. Only an escape can
  // make one (bytes that are not UTF-8 already decoded to U+FFFD), hence the cheap test first.
  if (body.includes('\\u')) json = wellFormed(json);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return invalid('value must be a JSON object');

  switch (topic) {
    case TOPICS.notificationStatus: {
      const fast = fastStatusEvent(json as Record<string, unknown>);
      if (fast) return { kind: 'status', event: fast };
      const r = notificationStatusEvent.safeParse(json);
      return r.success ? { kind: 'status', event: r.data } : invalid(formatIssues(r.error));
    }
    case TOPICS.letterDespatch: {
      const r = letterDespatchEvent.safeParse(json);
      return r.success ? { kind: 'despatch', event: r.data } : invalid(formatIssues(r.error));
    }
    case TOPICS.inboundSms: {
      const r = inboundSmsEvent.safeParse(json);
      return r.success ? { kind: 'inbound', event: r.data } : invalid(formatIssues(r.error));
    }
    case TOPICS.referenceData: {
      const r = referenceRecord.safeParse(json);
      if (!r.success) return invalid(formatIssues(r.error));
      const type = referenceTypeOfKey(keyText as string) as ReferenceType;
      if (r.data.type !== type) return invalid(`type ${r.data.type} does not match key prefix ${type}`);
      return { kind: 'reference', key: keyText as string, type, record: r.data };
    }
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Keys that carry an identity must carry a well-formed one: it is what storage is keyed on. */
function checkReferenceKey(type: ReferenceType, key: string): string | null {
  const parts = key.split(':');
  switch (type) {
    case 'organisation':
    case 'service':
    case 'api_key':
      return parts.length === 2 && UUID.test(parts[1] ?? '') ? null : `key must be ${type}:<uuid>`;
    case 'annual_billing':
    case 'spend_threshold':
      return parts.length === 3 && UUID.test(parts[1] ?? '') && /^\d{4}$/.test(parts[2] ?? '')
        ? null
        : `key must be ${type}:<service_id>:<financial_year_start>`;
    case 'sms_rate':
    case 'letter_rate': {
      if (key.length <= type.length + 1) return `key must be ${type}:<...>`;
      // The key's date marks days to re-price: one outside the window would re-price every day ever seen, or none.
      const instant = rateKeyInstant(type, key);
      return instant === null || inTimestampRange(instant) ? null : `the date in key ${JSON.stringify(key.slice(0, 100))} ${TIMESTAMP_RANGE}`;
    }
  }
}

/**
 * Lone UTF-16 surrogates become U+FFFD (the replacement character), as a UTF-8 decoder does
 * with bytes that are not UTF-8: the message is stored, with that character visibly replaced.
 * Strings are replaced in place in what JSON.parse returned, without recursion (a valid event may
 * nest an unknown field thousands deep) and without assigning keys (`"__proto__"` stays a field).
 * Keys are left as they are: the contract's field names hold no surrogates, and others are dropped.
 */
export function wellFormed(value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed();
  const pending: object[] = value !== null && typeof value === 'object' ? [value] : [];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    for (const key of Object.keys(node)) {
      const v = (node as Record<string, unknown>)[key];
      if (typeof v === 'string') {
        const fixed = v.toWellFormed();
        if (fixed !== v) Object.defineProperty(node, key, { value: fixed, writable: true, enumerable: true, configurable: true });
      } else if (v !== null && typeof v === 'object') pending.push(v);
    }
  }
  return value;
}

const invalid = (reason: string): Decoded => ({ kind: 'invalid', reason });
