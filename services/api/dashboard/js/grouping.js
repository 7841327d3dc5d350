// Monthly grouping of the daily reports, in the page: the rows of a month are summed per the
// same other fields (provider, postage, ...). Money is summed in micro-pounds, as the charts' own
// totals are, so a month's cost is the exact sum of its days.
import { fromMicros, toMicros } from './format.js';

/** Rows with their day field (`day` or `date`, YYYY-MM-DD) replaced by its month (YYYY-MM), summed. */
export function byMonth(rows, dayField) {
  const groups = new Map();
  for (const row of rows) {
    const month = String(row[dayField]).slice(0, 7);
    const identity = Object.entries(row)
      .filter(([k, v]) => k !== dayField && typeof v !== 'number')
      .map(([k, v]) => `${k}=${v}`);
    const key = [month, ...identity].join('|');
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { ...row, [dayField]: month, ...microsOf(row) });
      continue;
    }
    for (const [k, v] of Object.entries(row)) if (typeof v === 'number') group[k] += toMicros(v);
  }
  return [...groups.values()].map((g) => Object.fromEntries(Object.entries(g).map(([k, v]) => [k, typeof v === 'number' ? fromMicros(v) : v])));
}

const microsOf = (row) => Object.fromEntries(Object.entries(row).filter(([, v]) => typeof v === 'number').map(([k, v]) => [k, toMicros(v)]));
