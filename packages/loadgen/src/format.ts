// The human summary of a tally, as the CLI prints it.
import { NOTIFICATION_TYPES, STATUSES, type Status } from '@notify-stats/events';
import type { Tally } from './tally.ts';

const n = (v: number) => v.toLocaleString('en-GB');

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

export function formatTally(t: Tally): string {
  const m = t.messages;
  const used = STATUSES.filter((s) => NOTIFICATION_TYPES.some((type) => t.notifications.byTypeStatus[type][s]));
  const statusRows = NOTIFICATION_TYPES.map((type) => {
    const counts = t.notifications.byTypeStatus[type];
    const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
    return [type, n(total), ...used.map((s: Status) => n(counts[s] ?? 0))];
  });
  const sum = (f: (d: Tally['days'][number]) => number) => t.days.reduce((a, d) => a + f(d), 0);
  const billingRows = [
    ['billable', 'notifications', 'units', 'chargeable units'],
    ['email', n(sum((d) => d.email.billable)), n(sum((d) => d.email.billableUnits)), n(sum((d) => d.email.chargeableUnits))],
    ['sms', n(sum((d) => d.sms.billable)), n(sum((d) => d.sms.billableUnits)), n(sum((d) => d.sms.chargeableUnits))],
    ['letter', n(sum((d) => d.letter.billable)), n(sum((d) => d.letter.billableUnits)), n(sum((d) => d.letter.chargeableUnits))],
  ];
  const invalidKinds = Object.entries(t.invalid.byKind).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${n(v)}`).join(', ');
  return [
    `messages: ${n(m.total)} (reference ${n(m.reference)}, status ${n(m.status)}, despatch ${n(m.despatch)}, invalid ${n(m.invalid)}; ` +
      `of which duplicate copies ${n(m.duplicates)}, late ${n(m.late)})`,
    `by topic: ${Object.entries(m.byTopic).map(([k, v]) => `${k} ${n(v)}`).join(', ')}`,
    `days: ${t.options.firstDay} to ${t.options.endDay}, seed ${t.options.seed}, ${t.reference.services.length} services (${t.reference.liveServiceIds.length} live)`,
    `notifications: ${n(t.notifications.counted)} counted, ${n(t.notifications.test)} with test keys (not counted)`,
    '',
    table([['current status', 'total', ...used], ...statusRows]),
    '',
    table(billingRows),
    '',
    `despatches: ${n(t.despatches.reduce((a, d) => a + d.letters, 0))}`,
    `invalid: ${n(t.invalid.total)}${invalidKinds ? ` (${invalidKinds})` : ''}`,
  ].join('\n');
}
