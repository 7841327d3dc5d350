// Numbers for people, in en-GB.

const integer = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 });
const pounds = new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'GBP', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 1 });
const threeDigits = new Intl.NumberFormat('en-GB', { maximumSignificantDigits: 3 });
const clock = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTime = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export const formatCount = (n) => integer.format(n);
export const formatMoney = (n) => pounds.format(n);
export const formatPercent = (n) => `${percent.format(n)}%`;

/** A duration in seconds, in the unit people read it in: "109 ms", "1.04 s", "2.5 min", "1.05 h", "3 days". */
export function formatSeconds(s) {
  if (s < 1) return `${threeDigits.format(s * 1000)} ms`;
  if (s < 60) return `${threeDigits.format(s)} s`;
  if (s < 3600) return `${threeDigits.format(s / 60)} min`;
  if (s < 86_400) return `${threeDigits.format(s / 3600)} h`;
  const days = s / 86_400;
  return `${threeDigits.format(days)} ${days === 1 ? 'day' : 'days'}`;
}

/** A London wall-clock time, with the date when it is not today. */
export function formatInstant(iso, now = new Date()) {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return String(iso);
  const sameDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' });
  return sameDay.format(t) === sameDay.format(now) ? clock.format(t) : dateTime.format(t);
}

/** "just now", "42 s ago", "3 min ago", "2 h ago", "4 days ago". */
export function formatAgo(iso, now = Date.now()) {
  const ms = now - new Date(iso).getTime();
  if (!Number.isFinite(ms)) return '';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 2) return 'just now';
  if (s < 90) return `${s} s ago`;
  const min = Math.round(s / 60);
  if (min < 90) return `${min} min ago`;
  const h = Math.round(min / 60);
  if (h < 36) return `${h} h ago`;
  return `${Math.round(h / 24)} days ago`;
}

/** ClickHouse's `YYYY-MM-DD hh:mm:ss.ffffff` (UTC) or ISO, as an ISO instant. */
export function utcInstant(s) {
  if (typeof s !== 'string') return null;
  return /[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s.replace(' ', 'T')}Z`;
}

/** Money as integer millionths of a pound, so sums of prices such as 0.638 stay exact. */
export const toMicros = (n) => Math.round(n * 1e6);
export const fromMicros = (m) => m / 1e6;

// Text a spreadsheet would run as a formula (OWASP, CSV injection), as the API's CSV neutralises it.
const FORMULA_START = /^[=+\-@\t\r\0\uFF1D\uFF0B\uFF0D\uFF20]/;

/**
 * RFC 4180 CSV as the API writes it: a UTF-8 byte order mark (so spreadsheets read UTF-8), header
 * row, then rows; quotes where needed; text cells that would start a formula get a leading single
 * quote (numbers stay numbers).
 */
export function toCsv(columns, rows) {
  const cell = (v) => {
    let s = v === null || v === undefined ? '' : String(v);
    if (typeof v === 'string' && FORMULA_START.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return '\uFEFF' + [columns, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
}
