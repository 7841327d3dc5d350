// The report bodies a correct pipeline must answer for what the tally says was produced,
// written from reports.md and the seed's shapes alone (no pipeline code involved; the status
// groupings are the event vocabulary's, which the events package pins against reports.md).
import {
  DELIVERED_STATUSES,
  NOT_REQUESTED_STATUSES,
  NOTIFICATION_TYPES,
  PLATFORM_FAILED_STATUSES,
  type NotificationType,
  type Status,
} from '@notify-stats/events';
import { compareDays } from '@notify-stats/london';
import type { StatusCounts, Tally } from './tally.ts';

/** One type's block of GET /platform-stats, fields in the seed's order. */
export interface PlatformStatsCounts {
  total: number;
  delivered: number;
  failed: number;
  requested: number;
  'technical-failure': number;
  'temporary-failure': number;
  'permanent-failure': number;
}
export type PlatformStatsBody = Record<NotificationType, PlatformStatsCounts>;

export interface DailyVolumesRow {
  day: string;
  sms_totals: number;
  sms_fragment_totals: number;
  sms_chargeable_units: number;
  email_totals: number;
  letter_totals: number;
  letter_sheet_totals: number;
}

const inRange = (day: string, start: string, end: string) => compareDays(day, start) >= 0 && compareDays(day, end) <= 0;

function counts(statuses: StatusCounts): PlatformStatsCounts {
  const n = (s: Status) => statuses[s] ?? 0;
  const sum = (group: readonly Status[]) => group.reduce((a, s) => a + n(s), 0);
  const total = Object.values(statuses).reduce((a, b) => a + (b ?? 0), 0);
  return {
    total,
    delivered: sum(DELIVERED_STATUSES),
    failed: sum(PLATFORM_FAILED_STATUSES),
    requested: total - sum(NOT_REQUESTED_STATUSES),
    'technical-failure': n('technical-failure'),
    'temporary-failure': n('temporary-failure'),
    'permanent-failure': n('permanent-failure'),
  };
}

/** GET /platform-stats?start_date&end_date: counted notifications created in the range, by current status. */
export function expectedPlatformStats(tally: Pick<Tally, 'days'>, startDate: string, endDate: string): PlatformStatsBody {
  const merged: Record<NotificationType, StatusCounts> = { email: {}, sms: {}, letter: {} };
  for (const d of tally.days) {
    if (!inRange(d.day, startDate, endDate)) continue;
    for (const type of NOTIFICATION_TYPES) {
      for (const [status, n] of Object.entries(d[type].statuses) as Array<[Status, number]>) {
        merged[type][status] = (merged[type][status] ?? 0) + n;
      }
    }
  }
  return { email: counts(merged.email), sms: counts(merged.sms), letter: counts(merged.letter) };
}

/** GET /platform-stats/daily-volumes-report: one row per day with any billing fact, by day. */
export function expectedDailyVolumes(tally: Pick<Tally, 'days'>, startDate: string, endDate: string): DailyVolumesRow[] {
  return tally.days
    .filter((d) => inRange(d.day, startDate, endDate) && NOTIFICATION_TYPES.some((t) => d[t].billable > 0))
    .sort((a, b) => compareDays(a.day, b.day))
    .map((d) => ({
      day: d.day,
      sms_totals: d.sms.billable,
      sms_fragment_totals: d.sms.billableUnits,
      sms_chargeable_units: d.sms.chargeableUnits,
      email_totals: d.email.billable,
      letter_totals: d.letter.billable,
      letter_sheet_totals: d.letter.billableUnits,
    }));
}
