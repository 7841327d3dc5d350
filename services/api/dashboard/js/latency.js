// Delivery latency per provider, shaped for a chart: the rows of
// /platform-stats/delivery-latency-report (one per London day, type and provider) as one p95 line
// per provider. Pure functions of the rows, so that they can be tested without a page.

const TYPE_ORDER = ['email', 'sms', 'letter'];

/** Seconds an axis tick may show: round values people read as 100 ms, 1 s, 1 min, 1 h, 1 day... */
export const TICK_SECONDS = [
  0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21_600, 43_200, 86_400, 172_800, 604_800, 1_209_600, 2_592_000,
];

/**
 * One line per (type, provider), labelled "provider (type)", in channel order then by provider.
 * `labels` are the days that have any row; `data` is the p95 in seconds per day, null on a day the
 * provider delivered nothing (a gap: a log axis has no zero). `counts` are the delivered
 * notifications per day (0 on a gap), `rows` the report's row behind each point (null on a gap).
 */
export function latencyLines(rows) {
  const labels = [...new Set(rows.map((r) => r.day))].sort();
  const index = new Map(labels.map((day, i) => [day, i]));
  const lines = new Map();
  for (const r of rows) {
    const key = `p95_seconds:${r.notification_type}:${r.provider}`;
    let line = lines.get(key);
    if (!line) {
      line = {
        key,
        label: `${r.provider} (${r.notification_type})`,
        notificationType: r.notification_type,
        provider: r.provider,
        data: labels.map(() => null),
        counts: labels.map(() => 0),
        rows: labels.map(() => null),
      };
      lines.set(key, line);
    }
    const i = index.get(r.day);
    line.data[i] = r.p95_seconds;
    line.counts[i] = r.delivered;
    line.rows[i] = r;
  }
  const typeRank = (t) => (TYPE_ORDER.includes(t) ? TYPE_ORDER.indexOf(t) : TYPE_ORDER.length);
  const ordered = [...lines.values()].sort(
    (a, b) => typeRank(a.notificationType) - typeRank(b.notificationType) || a.notificationType.localeCompare(b.notificationType) || a.provider.localeCompare(b.provider),
  );
  return { labels, lines: ordered };
}

/**
 * The log axis's bounds: the round ticks at or around the smallest and largest p95 shown (at least
 * one step apart), and the ticks between them; null bounds when nothing is shown.
 */
export function latencyAxis(lines) {
  const values = lines.flatMap((l) => l.data).filter((v) => typeof v === 'number' && v > 0);
  if (values.length === 0) return { min: undefined, max: undefined, ticks: [] };
  const low = Math.min(...values);
  const high = Math.max(...values);
  let lo = TICK_SECONDS.findLastIndex((t) => t <= low);
  let hi = TICK_SECONDS.findIndex((t) => t >= high);
  if (lo < 0) lo = 0;
  if (hi < 0) hi = TICK_SECONDS.length - 1;
  if (hi <= lo) hi = Math.min(lo + 1, TICK_SECONDS.length - 1);
  if (hi <= lo) lo = Math.max(hi - 1, 0);
  return { min: TICK_SECONDS[lo], max: TICK_SECONDS[hi], ticks: TICK_SECONDS.slice(lo, hi + 1) };
}

/** The slowest day: the greatest p95 shown, with its line and day (null when nothing is shown). */
export function slowestDay({ labels, lines }) {
  let slowest = null;
  for (const line of lines) {
    line.data.forEach((v, i) => {
      if (v !== null && (!slowest || v > slowest.seconds)) slowest = { seconds: v, label: line.label, day: labels[i] };
    });
  }
  return slowest;
}
