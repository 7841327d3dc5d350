// The reference data a generated platform needs: organisations, services, allowances, rates, API keys.
import { POSTAGES, TOPICS, type Postage } from '@notify-stats/events';
import { addDays, financialYearOf, financialYearStart, londonMidnightUtc } from '@notify-stats/london';
import { Rng, STREAMS } from './ids.ts';
import { message, type LoadMessage } from './message.ts';
import type { ResolvedOptions } from './options.ts';

export interface ServiceInfo {
  id: string;
  name: string;
  organisationId: string | null;
  restricted: boolean;
  active: boolean;
  countAsLive: boolean;
  /** restricted false, active true, count_as_live true (reports.md volumes-by-service). */
  live: boolean;
}

export interface ReferenceSummary {
  organisations: Array<{ id: string; name: string }>;
  services: ServiceInfo[];
  liveServiceIds: string[];
  allowances: Array<{ serviceId: string; financialYearStart: number; freeSmsFragmentLimit: number }>;
  smsRates: Array<{ validFrom: string; rate: string }>;
  letterRates: Array<{ startDate: string; postClass: Postage; sheetCount: number; rate: string }>;
  apiKeys: Array<{ id: string; serviceId: string; secret: string }>;
}

/** What the lifecycles need about a service besides the summary. */
export interface ServiceTraffic {
  info: ServiceInfo;
  weight: number;
  templates: string[];
}

export interface ReferenceData {
  summary: ReferenceSummary;
  traffic: ServiceTraffic[];
  messages: LoadMessage[];
}

const DEPARTMENTS = ['Education', 'Health', 'Work and Pensions', 'Transport', 'Justice', 'Revenue', 'Environment', 'Defence', 'Culture', 'Housing'];
const SERVICE_NAMES = ['Appointment reminders', 'Licence renewals', 'Payment notices', 'Case updates', 'Exam results', 'Benefit letters', 'Passport tracking', 'Tax reminders', 'Permit alerts', 'Court notices'];
const ALLOWANCES = [250_000, 150_000, 40_000, 10_000, 0];
export const SMS_RATE = '0.0197';
// GBP per letter for 1..5 sheets.
const LETTER_RATES: Record<Postage, readonly string[]> = {
  second: ['0.54', '0.59', '0.64', '0.69', '0.74'],
  first: ['0.88', '0.93', '0.98', '1.03', '1.08'],
  economy: ['0.52', '0.57', '0.62', '0.67', '0.72'],
  europe: ['1.58', '1.63', '1.68', '1.73', '1.78'],
  'rest-of-world': ['1.58', '1.63', '1.68', '1.73', '1.78'],
};

/** Service i: every 10th from the 8th is in trial mode, from the 10th inactive, from the 7th not counted as live. */
function serviceFlags(i: number): Pick<ServiceInfo, 'restricted' | 'active' | 'countAsLive'> {
  return { restricted: i % 10 === 7, active: i % 10 !== 9, countAsLive: i % 10 !== 6 || i < 10 };
}

const billing = (rng: Rng, prefix: string) => ({
  purchase_order_number: rng.chance(0.7) ? `PO-${prefix}-${rng.int(1000, 9999)}` : null,
  billing_contact_names: rng.chance(0.7) ? 'Alex Smith, Sam Jones' : null,
  billing_contact_email_addresses: rng.chance(0.7) ? 'billing@example.gov.uk' : null,
  billing_reference: rng.chance(0.5) ? `REF-${prefix}` : null,
});

export function buildReferenceData(o: ResolvedOptions): ReferenceData {
  const rng = new Rng(o.seed, STREAMS.reference);
  const messages: LoadMessage[] = [];
  const start = londonMidnightUtc(financialYearStart(financialYearOf(o.firstDay))).getTime();
  const ref = (key: string, value: Record<string, unknown>) =>
    messages.push(message(TOPICS.referenceData, Buffer.from(key), Buffer.from(JSON.stringify(value)), 'reference', start));

  const organisations: ReferenceSummary['organisations'] = [];
  for (let i = 0; i < Math.max(1, Math.ceil(o.services / 3)); i++) {
    const org = { id: rng.uuid(), name: `Department for ${DEPARTMENTS[i % DEPARTMENTS.length]}${i >= DEPARTMENTS.length ? ` ${Math.floor(i / DEPARTMENTS.length) + 1}` : ''}` };
    organisations.push(org);
    ref(`organisation:${org.id}`, { type: 'organisation', ...org, ...billing(rng, `ORG${i}`) });
  }

  const traffic: ServiceTraffic[] = [];
  for (let i = 0; i < o.services; i++) {
    const flags = serviceFlags(i);
    const organisationId = i % 5 === 4 ? null : rng.pick(organisations).id;
    const info: ServiceInfo = {
      id: rng.uuid(),
      name: `${SERVICE_NAMES[i % SERVICE_NAMES.length]} ${i + 1}`,
      organisationId,
      ...flags,
      live: !flags.restricted && flags.active && flags.countAsLive,
    };
    const weight = (1 / (i + 1) ** 0.8) * (info.active ? 1 : 0.1) * (info.restricted ? 0.3 : 1);
    traffic.push({ info, weight, templates: [rng.uuid(), rng.uuid(), rng.uuid()] });
    ref(`service:${info.id}`, {
      type: 'service',
      id: info.id,
      name: info.name,
      organisation_id: organisationId,
      restricted: info.restricted,
      active: info.active,
      count_as_live: info.countAsLive,
      ...billing(rng, `SVC${i}`),
    });
  }

  // Every financial year a notification or a despatch (up to 2 days after the last day) can fall in.
  const allowances: ReferenceSummary['allowances'] = [];
  for (let fy = financialYearOf(o.firstDay); fy <= financialYearOf(addDays(o.endDay, 2)); fy++) {
    traffic.forEach(({ info }, i) => {
      const limit = ALLOWANCES[(i + fy) % ALLOWANCES.length]!;
      allowances.push({ serviceId: info.id, financialYearStart: fy, freeSmsFragmentLimit: limit });
      ref(`annual_billing:${info.id}:${fy}`, { type: 'annual_billing', service_id: info.id, financial_year_start: fy, free_sms_fragment_limit: limit });
    });
  }

  // Valid from London midnight of 1 April of the first day's financial year: before every day generated.
  const validFrom = new Date(start).toISOString();
  const smsRates = [{ validFrom, rate: SMS_RATE }];
  ref(`sms_rate:${validFrom}`, { type: 'sms_rate', valid_from: validFrom, rate: SMS_RATE });

  const letterRates: ReferenceSummary['letterRates'] = [];
  for (const postClass of POSTAGES) {
    for (let sheetCount = 1; sheetCount <= 5; sheetCount++) {
      const rate = LETTER_RATES[postClass][sheetCount - 1]!;
      letterRates.push({ startDate: validFrom, postClass, sheetCount, rate });
      ref(`letter_rate:${validFrom}:${postClass}:${sheetCount}`, {
        type: 'letter_rate', start_date: validFrom, end_date: null, sheet_count: sheetCount, post_class: postClass, rate,
      });
    }
  }

  const apiKeys: ReferenceSummary['apiKeys'] = [];
  for (const { info } of traffic) {
    const key = { id: rng.uuid(), serviceId: info.id, secret: rng.hex(32) };
    apiKeys.push(key);
    ref(`api_key:${key.id}`, { type: 'api_key', id: key.id, service_id: key.serviceId, secret: key.secret, revoked: false });
  }

  const services = traffic.map((t) => t.info);
  return {
    summary: { organisations, services, liveServiceIds: services.filter((s) => s.live).map((s) => s.id), allowances, smsRates, letterRates, apiKeys },
    traffic,
    messages,
  };
}
