import { z } from 'zod';
import { money, nullableString, timestamp, uuid } from './fields.ts';
import { POSTAGES } from './vocabulary.ts';

const billingFields = {
  purchase_order_number: nullableString,
  billing_contact_names: nullableString,
  billing_contact_email_addresses: nullableString,
  billing_reference: nullableString,
};

export const organisationRecord = z.object({
  type: z.literal('organisation'),
  id: uuid,
  name: z.string().min(1).max(1000),
  ...billingFields,
});

export const serviceRecord = z.object({
  type: z.literal('service'),
  id: uuid,
  name: z.string().min(1).max(1000),
  organisation_id: uuid.nullish().transform((v) => v ?? null),
  restricted: z.boolean(),
  active: z.boolean(),
  count_as_live: z.boolean(),
  ...billingFields,
});

export const annualBillingRecord = z.object({
  type: z.literal('annual_billing'),
  service_id: uuid,
  financial_year_start: z.number().int().min(2000).max(2099),
  free_sms_fragment_limit: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});

/**
 * A spend threshold a service has set for a financial year (docs/alerts.md; beyond the contract):
 * when its spend in that year (SMS beyond the free allowance plus letters) reaches `amount`, one
 * alert is published. Key `spend_threshold:<service_id>:<financial_year_start>`.
 */
export const spendThresholdRecord = z.object({
  type: z.literal('spend_threshold'),
  service_id: uuid,
  financial_year_start: z.number().int().min(2000).max(2099),
  amount: money,
});

export const smsRateRecord = z.object({
  type: z.literal('sms_rate'),
  valid_from: timestamp,
  rate: money,
});

export const letterRateRecord = z.object({
  type: z.literal('letter_rate'),
  start_date: timestamp,
  end_date: timestamp.nullish().transform((v) => v ?? null),
  sheet_count: z.number().int().min(1).max(10_000),
  post_class: z.enum(POSTAGES),
  rate: money,
});

/**
 * The shortest API key secret the contract accepts: 32 characters, the 256-bit HMAC key that
 * RFC 7518 (3.2) requires for HS256, and what 16 random bytes in hex (128 bits) or 24 in base64
 * take. The API answers online guesses with limits, but only a long secret makes guessing hopeless;
 * a shorter one is dead-lettered with this reason, and the API ignores one stored before.
 */
export const API_KEY_SECRET_MIN_LENGTH = 32;

export const apiKeyRecord = z.object({
  type: z.literal('api_key'),
  id: uuid,
  service_id: uuid,
  secret: z
    .string()
    .min(API_KEY_SECRET_MIN_LENGTH, `must be at least ${API_KEY_SECRET_MIN_LENGTH} characters (a shorter API key secret can be guessed)`)
    .max(1000),
  revoked: z.boolean(),
});

/** `notify.reference-data.v1` values, told apart by `type`. */
export const referenceRecord = z.discriminatedUnion('type', [
  organisationRecord,
  serviceRecord,
  annualBillingRecord,
  spendThresholdRecord,
  smsRateRecord,
  letterRateRecord,
  apiKeyRecord,
]);
export type ReferenceRecord = z.output<typeof referenceRecord>;
export type ReferenceType = ReferenceRecord['type'];
export const REFERENCE_TYPES: readonly ReferenceType[] = [
  'organisation',
  'service',
  'annual_billing',
  'spend_threshold',
  'sms_rate',
  'letter_rate',
  'api_key',
];

/** The key decides identity (log-compacted topic); its prefix names the record type. */
export function referenceTypeOfKey(key: string): ReferenceType | null {
  const prefix = key.slice(0, key.indexOf(':'));
  return (REFERENCE_TYPES as readonly string[]).includes(prefix) ? (prefix as ReferenceType) : null;
}

/**
 * The instant a rate key carries (`sms_rate:<valid_from>`, `letter_rate:<start>:<class>:<sheets>`),
 * or null when its date part is not one (the value's date is used then).
 */
export function rateKeyInstant(type: ReferenceType, key: string): number | null {
  const body = key.slice(key.indexOf(':') + 1);
  const text = type === 'letter_rate' ? body.split(':').slice(0, -2).join(':') : body;
  const ms = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(ms) ? null : ms;
}
