import { z } from 'zod';
import { REF_ANNUAL_BILLING, REF_ORGANISATIONS, REF_SERVICES, queryParsed, type ClickHouseClient } from '@notify-stats/clickhouse';

export const serviceRow = z.object({
  service_id: z.string(),
  service_name: z.string(),
  organisation_id: z.string(),
  organisation_name: z.string(),
  purchase_order_number: z.string().nullable(),
  contact_names: z.string().nullable(),
  contact_email_addresses: z.string().nullable(),
  billing_reference: z.string().nullable(),
});
export type ServiceRow = z.infer<typeof serviceRow>;

// A service's billing field wins over its organisation's (events.md section 3). join_use_nulls
// makes a missing organisation read as NULL, whatever the server's default, so the fallback and
// the "" for a service without organisation are explicit. FINAL also hides deleted rows.
const SERVICES_SQL = `
  SELECT toString(s.id) AS service_id,
         s.name AS service_name,
         ifNull(toString(s.organisation_id), '') AS organisation_id,
         ifNull(o.name, '') AS organisation_name,
         coalesce(s.purchase_order_number, o.purchase_order_number) AS purchase_order_number,
         coalesce(s.billing_contact_names, o.billing_contact_names) AS contact_names,
         coalesce(s.billing_contact_email_addresses, o.billing_contact_email_addresses) AS contact_email_addresses,
         coalesce(s.billing_reference, o.billing_reference) AS billing_reference
  FROM ${REF_SERVICES.name} AS s FINAL
  LEFT JOIN (SELECT id, name, purchase_order_number, billing_contact_names, billing_contact_email_addresses,
                    billing_reference FROM ${REF_ORGANISATIONS.name} FINAL) AS o ON o.id = s.organisation_id`;

const LIVE = `WHERE s.restricted = false AND s.active = true AND s.count_as_live = true`;

/** Every known service with its organisation and billing fields; `live` keeps only live ones. */
export async function serviceDirectory(client: ClickHouseClient, opts: { live: boolean }): Promise<ServiceRow[]> {
  const sql = `${SERVICES_SQL} ${opts.live ? LIVE : ''} SETTINGS join_use_nulls = 1`;
  return queryParsed(client, sql, {}, serviceRow);
}

/**
 * Free sms allowance per service for financial year {fy: Int32} (Int32, not UInt16: FY of a day in
 * year 0000 is -1, a valid question with no answer). One row per key; should two keys name the
 * same service and year, the newest message wins.
 */
export const FREE_ALLOWANCE_SQL = `
  SELECT service_id, argMax(free_sms_fragment_limit, version) AS free_limit
  FROM ${REF_ANNUAL_BILLING.name} FINAL
  WHERE financial_year_start = {fy: Int32}
  GROUP BY service_id`;

const allowanceRow = z.object({ service_id: z.string(), free_limit: z.coerce.number() });

export async function freeAllowances(client: ClickHouseClient, fy: number): Promise<Map<string, number>> {
  const rows = await queryParsed(client, FREE_ALLOWANCE_SQL, { fy: z.number().int().parse(fy) }, allowanceRow);
  return new Map(rows.map((r) => [r.service_id, r.free_limit]));
}

const isSurrogate = (u: number) => u >= 0xd800 && u <= 0xdfff;

/**
 * Code-point order. Plain `<` compares UTF-16 units, which agrees except where a surrogate pair
 * (a code point above U+FFFF) meets a unit in U+E000..U+FFFF: there the pair is the greater one.
 */
export function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (isSurrogate(x) !== isSurrogate(y)) return isSurrogate(x) ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * reports.md section 3: organisation_name with blanks last, then service_name, by code point;
 * service_id breaks ties so services with equal names still sort the same every time.
 */
export function byOrganisationThenService(
  a: { organisation_name: string; service_name: string; service_id: string },
  b: { organisation_name: string; service_name: string; service_id: string },
): number {
  const blank = Number(a.organisation_name === '') - Number(b.organisation_name === '');
  return (
    blank ||
    byCodePoint(a.organisation_name, b.organisation_name) ||
    byCodePoint(a.service_name, b.service_name) ||
    byCodePoint(a.service_id, b.service_id)
  );
}
