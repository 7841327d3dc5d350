// London calendar days as `YYYY-MM-DD` strings, computed in the browser. Day arithmetic is done on
// UTC dates, where every day has 24 hours, so clock changes never shift a day.

const LONDON = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The London calendar day of an instant (default: now). */
export function londonDay(instant = new Date()) {
  // formatToParts rather than format(): the en-CA pattern has changed between ICU versions.
  const parts = Object.fromEntries(LONDON.formatToParts(instant).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

export function isIsoDay(s) {
  const m = ISO_DAY.exec(s ?? '');
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

export function addDays(day, n) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** The financial year (1 April to 31 March) a day belongs to, named by the year it starts in. */
export function financialYearOf(day) {
  const [y, m] = day.split('-').map(Number);
  return m >= 4 ? y : y - 1;
}

export const financialYearStart = (fy) => `${String(fy).padStart(4, '0')}-04-01`;
export const financialYearEnd = (fy) => `${String(fy + 1).padStart(4, '0')}-03-31`;

export const PRESETS = ['today', 'last-7-days', 'last-month', 'financial-year', 'previous-financial-year'];

/** The range presets of the picker, relative to today in London. */
export function presetRange(name, today = londonDay()) {
  switch (name) {
    case 'today':
      return { start: today, end: today };
    case 'last-7-days':
      return { start: addDays(today, -6), end: today };
    case 'last-month': {
      // The whole calendar month before this one.
      const [y, m] = today.split('-').map(Number);
      const first = new Date(Date.UTC(y, m - 2, 1)).toISOString().slice(0, 10);
      return { start: first, end: addDays(`${today.slice(0, 7)}-01`, -1) };
    }
    case 'financial-year': {
      const fy = financialYearOf(today);
      return { start: financialYearStart(fy), end: financialYearEnd(fy) };
    }
    case 'previous-financial-year': {
      const fy = financialYearOf(today) - 1;
      return { start: financialYearStart(fy), end: financialYearEnd(fy) };
    }
    default:
      throw new Error(`unknown preset ${name}`);
  }
}

/**
 * Reports that need both dates in one financial year get the part of the range that lies in the
 * financial year of its end date; `clamped` says whether anything was cut off.
 */
export function clampToOneFinancialYear({ start, end }) {
  const fyStart = financialYearStart(financialYearOf(end));
  return start < fyStart ? { start: fyStart, end, clamped: true } : { start, end, clamped: false };
}

/** "Tue 2 Apr 2024" for a London day, for people. */
export function longDay(day) {
  const [y, m, d] = day.split('-').map(Number);
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' }).format(
    new Date(Date.UTC(y, m - 1, d)),
  );
}

/** "2 Apr" for axis labels; a month (YYYY-MM, monthly grouping) is "Apr 2024". */
export function shortDay(day) {
  const [y, m, d] = day.split('-').map(Number);
  if (d === undefined) {
    return new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', month: 'short', year: 'numeric' }).format(new Date(Date.UTC(y, m - 1, 1)));
  }
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' }).format(new Date(Date.UTC(y, m - 1, d)));
}
