import { FACT_BILLING, REF_ANNUAL_BILLING, REF_SPEND_THRESHOLDS, queryRows, type ClickHouseClient } from '@notify-stats/clickhouse';
import type { AlertEvent } from '@notify-stats/events';
import { addDays, daysBetween, financialYearEnd, financialYearStart, todayInLondon } from '@notify-stats/london';
import { compareMoney, multiplyMoney, sumMoney } from '@notify-stats/money';
import { stableEventId } from './output-publisher.ts';

/**
 * Allowance and spend alerts (issue 22, docs/alerts.md). For a service and financial year, the
 * days its figures first reached 80 % and 100 % of its free SMS allowance and the spend threshold
 * it has set are worked out from the daily billing facts; `alert_log` holds what was published.
 * A threshold newly crossed publishes `crossed`; one crossed that a late correction took back
 * publishes `retracted`; a crossing that moved to another day publishes nothing more.
 *
 * Exactly once: each event is logged `pending` (with its body) before it is published and
 * `published` after. A check that finds a `pending` event (the process stopped in between) asks
 * the topic whether its id went out, and publishes it only if it did not.
 */
export interface AlertOptions {
  publish(events: AlertEvent[]): Promise<void>;
  /** Which of these alert ids are on the topic already. */
  published(alertIds: readonly string[]): Promise<Set<string>>;
  /** Least time between two checks of the services cycles touched. */
  checkEveryMs?: number;
  now?: () => Date;
}

/** A service and financial year to check. */
export interface AlertSubject {
  serviceId: string;
  year: number;
}

interface Thresholds {
  allowance: number;
  spend: string | null;
}

interface DayFigures {
  day: string;
  units: number;
  /** (rate, chargeable units) of the day's SMS, one pair per rate (one, but for a late rate's move in flight). */
  sms: Array<[string, number]>;
  letterCost: string;
}

interface Crossings {
  crossed: Map<string, string>;
  figures: AlertEvent['figures'];
  forecast: string | null;
}

/** The thresholds a service has in each year asked for (a free allowance of 0 alerts nothing). */
async function thresholdsOf(client: ClickHouseClient, subjects: readonly AlertSubject[]): Promise<Map<string, Thresholds>> {
  const out = new Map<string, Thresholds>();
  if (subjects.length === 0) return out;
  const keys = { services: subjects.map((s) => s.serviceId), years: subjects.map((s) => s.year) };
  const allowances = await queryRows<{ s: string; y: number; a: number }>(
    client,
    `SELECT toString(service_id) AS s, financial_year_start AS y, free_sms_fragment_limit AS a FROM ${REF_ANNUAL_BILLING.name} FINAL
     WHERE (service_id, financial_year_start) IN (SELECT arrayJoin(arrayZip({services: Array(UUID)}, {years: Array(UInt16)})))`,
    keys,
  );
  const spends = await queryRows<{ s: string; y: number; amount: string }>(
    client,
    `SELECT toString(service_id) AS s, financial_year_start AS y, amount FROM ${REF_SPEND_THRESHOLDS.name} FINAL
     WHERE (service_id, financial_year_start) IN (SELECT arrayJoin(arrayZip({services: Array(UUID)}, {years: Array(UInt16)})))`,
    keys,
  );
  for (const r of allowances) out.set(`${r.s}|${r.y}`, { allowance: Number(r.a), spend: null });
  for (const r of spends) {
    const key = `${r.s}|${r.y}`;
    out.set(key, { allowance: out.get(key)?.allowance ?? 0, spend: sumMoney([r.amount]) });
  }
  for (const [key, t] of out) if (t.allowance <= 0 && (t.spend === null || compareMoney(t.spend, '0') <= 0)) out.delete(key);
  return out;
}

/**
 * Every service with a threshold in one of `years` (a late rate or a changed threshold concerns
 * them all), or in any year (what a start checks).
 */
export async function subjectsOfYears(client: ClickHouseClient, years: readonly number[] | 'all'): Promise<AlertSubject[]> {
  if (years !== 'all' && years.length === 0) return [];
  const rows = await queryRows<{ s: string; y: number }>(
    client,
    `SELECT DISTINCT toString(service_id) AS s, financial_year_start AS y FROM (
       SELECT service_id, financial_year_start FROM ${REF_ANNUAL_BILLING.name} FINAL WHERE free_sms_fragment_limit > 0
       UNION ALL SELECT service_id, financial_year_start FROM ${REF_SPEND_THRESHOLDS.name} FINAL)
     WHERE {all: Bool} OR financial_year_start IN {years: Array(UInt16)}`,
    { all: years === 'all', years: years === 'all' ? [] : years },
  );
  return rows.map((r) => ({ serviceId: r.s, year: Number(r.y) }));
}

async function dayFigures(client: ClickHouseClient, services: readonly string[], year: number): Promise<Map<string, DayFigures[]>> {
  const rows = await queryRows<{ s: string; day: string; units: number; sms: Array<[string, number]>; letter_cost: string }>(
    client,
    `SELECT toString(service_id) AS s, toString(d) AS day, sum(rate_units) AS units,
            arrayFilter(x -> x.2 != 0, groupArray((toString(r), rate_units))) AS sms, sum(rate_letter_cost) AS letter_cost
     FROM (SELECT service_id, day AS d, rate AS r,
                  sumIf(chargeable_units, notification_type = 'sms') AS rate_units,
                  sumIf(notifications_sent * rate, notification_type = 'letter') AS rate_letter_cost
           FROM ${FACT_BILLING.name}
           WHERE service_id IN {services: Array(UUID)} AND day BETWEEN {from: Date} AND {to: Date} AND notification_type IN ('sms', 'letter')
           GROUP BY service_id, day, rate)
     GROUP BY service_id, d
     HAVING units != 0 OR letter_cost != 0
     ORDER BY s, day`,
    { services, from: financialYearStart(year), to: financialYearEnd(year) },
  );
  const out = new Map<string, DayFigures[]>();
  for (const r of rows) {
    const days = out.get(r.s) ?? [];
    days.push({ day: r.day, units: Number(r.units), sms: r.sms.map(([rate, n]) => [rate, Number(n)]), letterCost: r.letter_cost });
    out.set(r.s, days);
  }
  return out;
}

/**
 * Walks a year's days in order: chargeable units add up; the units beyond the free allowance are
 * charged at their day's rate (where a day has two rates, the lower first) and letters at theirs.
 */
export function crossings(days: readonly DayFigures[], t: Thresholds, year: number, today: string): Crossings {
  const crossed = new Map<string, string>();
  let units = 0;
  let spend = '0';
  for (const d of days) {
    const before = units;
    units += d.units;
    let charged = Math.max(0, units - Math.max(t.allowance, before));
    const costs = [d.letterCost];
    for (const [rate, n] of [...d.sms].sort(([a], [b]) => compareMoney(a, b))) {
      const here = Math.min(charged, n);
      if (here > 0) costs.push(multiplyMoney(rate, here));
      charged -= here;
    }
    spend = sumMoney([spend, ...costs]);
    if (t.allowance > 0 && units * 10 >= t.allowance * 8 && !crossed.has('allowance_80')) crossed.set('allowance_80', d.day);
    if (t.allowance > 0 && units >= t.allowance && !crossed.has('allowance_100')) crossed.set('allowance_100', d.day);
    if (t.spend !== null && compareMoney(spend, t.spend) >= 0 && !crossed.has(`spend:${t.spend}`)) crossed.set(`spend:${t.spend}`, d.day);
  }
  return {
    crossed,
    figures: { free_allowance: t.allowance, chargeable_units: units, spend, spend_threshold: t.spend },
    forecast: forecastExhaustion(days, t.allowance, units, crossed.get('allowance_100') ?? null, year, today),
  };
}

/**
 * The day the free allowance runs out at the pace of the 28 days up to today: the day it did, if
 * it has; null without an allowance, without use in those days, or past the year's end.
 */
function forecastExhaustion(days: readonly DayFigures[], allowance: number, used: number, exhausted: string | null, year: number, today: string): string | null {
  if (allowance <= 0) return null;
  if (exhausted) return exhausted;
  const from = addDays(today, -27);
  const recent = days.filter((d) => d.day >= from && d.day <= today).reduce((n, d) => n + d.units, 0);
  if (recent <= 0) return null;
  // Compared in days before it becomes a date: a large allowance used slowly runs out centuries
  // on, past any calendar (the freshness benchmark's services did, and stopped every cycle).
  const ahead = Math.ceil(((allowance - used) * 28) / recent);
  return ahead <= daysBetween(today, financialYearEnd(year)) ? addDays(today, ahead) : null;
}

interface Logged {
  seq: number;
  kind: string;
  phase: string;
  alertId: string;
  event: string;
}

async function lastLogged(client: ClickHouseClient, subjects: readonly AlertSubject[]): Promise<Map<string, Logged>> {
  const rows = await queryRows<{ s: string; y: number; threshold: string; last: [number, string, string, string, string] }>(
    client,
    `SELECT toString(service_id) AS s, financial_year AS y, threshold, argMax(tuple(seq, kind, phase, alert_id, event), tuple(seq, at)) AS last
     FROM alert_log
     WHERE (service_id, financial_year) IN (SELECT arrayJoin(arrayZip({services: Array(UUID)}, {years: Array(UInt16)})))
     GROUP BY service_id, financial_year, threshold`,
    { services: subjects.map((s) => s.serviceId), years: subjects.map((s) => s.year) },
  );
  return new Map(rows.map((r) => [`${r.s}|${r.y}|${r.threshold}`, { seq: Number(r.last[0]), kind: r.last[1], phase: r.last[2], alertId: r.last[3], event: r.last[4] }]));
}

async function log(client: ClickHouseClient, events: readonly AlertEvent[], seqs: ReadonlyMap<string, number>, phase: 'pending' | 'published'): Promise<void> {
  if (events.length === 0) return;
  await client.insert({
    table: 'alert_log',
    format: 'JSONEachRow',
    values: events.map((e) => ({
      service_id: e.service_id,
      financial_year: e.financial_year,
      threshold: e.threshold,
      seq: seqs.get(e.alert_id),
      kind: e.kind,
      alert_id: e.alert_id,
      event: JSON.stringify(e),
      phase,
    })),
  });
}

/** Checks the subjects and publishes what changed; returns the events published. */
export async function checkAlerts(client: ClickHouseClient, subjects: readonly AlertSubject[], opts: AlertOptions): Promise<AlertEvent[]> {
  const unique = [...new Map(subjects.map((s) => [`${s.serviceId}|${s.year}`, s])).values()];
  if (unique.length === 0) return [];
  const now = (opts.now ?? (() => new Date()))();
  const today = todayInLondon(now);
  const thresholds = await thresholdsOf(client, unique);
  const logged = await lastLogged(client, unique);
  const sent: AlertEvent[] = [];

  // A process stopped between logging and publishing: the topic says whether it went out.
  const pending = [...logged.values()].filter((l) => l.phase === 'pending');
  if (pending.length > 0) {
    const out = await opts.published(pending.map((p) => p.alertId));
    const resend = pending.filter((p) => !out.has(p.alertId)).map((p) => JSON.parse(p.event) as AlertEvent);
    if (resend.length > 0) await opts.publish(resend);
    const done = pending.map((p) => JSON.parse(p.event) as AlertEvent);
    await log(client, done, new Map(pending.map((p) => [p.alertId, p.seq])), 'published');
    sent.push(...resend);
  }

  const events: AlertEvent[] = [];
  const seqs = new Map<string, number>();
  const years = [...new Set(unique.map((s) => s.year))];
  for (const year of years) {
    const ofYear = unique.filter((s) => s.year === year && thresholds.has(`${s.serviceId}|${year}`));
    if (ofYear.length === 0) continue;
    const figures = await dayFigures(client, ofYear.map((s) => s.serviceId), year);
    for (const s of ofYear) {
      const t = thresholds.get(`${s.serviceId}|${year}`) as Thresholds;
      const c = crossings(figures.get(s.serviceId) ?? [], t, year, today);
      const names = new Set([...c.crossed.keys(), ...[...logged.keys()].filter((k) => k.startsWith(`${s.serviceId}|${year}|`)).map((k) => k.split('|')[2] as string)]);
      for (const threshold of names) {
        const last = logged.get(`${s.serviceId}|${year}|${threshold}`);
        const day = c.crossed.get(threshold);
        const wasCrossed = last?.kind === 'crossed';
        if (Boolean(day) === wasCrossed) continue;
        // A threshold no longer set (a changed spend amount) is not retracted: it was crossed when set.
        if (!day && threshold.startsWith('spend:') && threshold !== `spend:${t.spend}`) continue;
        if (!day && threshold.startsWith('allowance_') && t.allowance <= 0) continue;
        const seq = (last?.seq ?? 0) + 1;
        const id = stableEventId([s.serviceId, s.year, threshold, seq]);
        seqs.set(id, seq);
        const crossedOn = day ?? (JSON.parse(last?.event ?? '{}') as Partial<AlertEvent>).crossed_on ?? today;
        events.push({
          alert_id: id,
          kind: day ? 'crossed' : 'retracted',
          service_id: s.serviceId,
          financial_year: year,
          threshold,
          crossed_on: crossedOn,
          figures: c.figures,
          forecast_exhaustion: threshold.startsWith('allowance_') ? c.forecast : null,
          detected_at: now.toISOString(),
        });
      }
    }
  }
  if (events.length > 0) {
    await log(client, events, seqs, 'pending');
    await opts.publish(events);
    await log(client, events, seqs, 'published');
  }
  return [...sent, ...events];
}
