// Memoised London-day arithmetic for the hot path: luxon costs tens of microseconds a call,
// and a run only ever touches a few dozen days.
import { addDays, londonMidnightUtc } from '@notify-stats/london';

const bounds = new Map<string, { start: number; length: number }>();
const shifted = new Map<string, string>();

/** Start (epoch ms of London midnight) and length in ms (23, 24 or 25 hours) of a London day. */
export function dayBounds(day: string): { start: number; length: number } {
  let b = bounds.get(day);
  if (!b) {
    const start = londonMidnightUtc(day).getTime();
    b = { start, length: londonMidnightUtc(addDays(day, 1)).getTime() - start };
    bounds.set(day, b);
  }
  return b;
}

export function plusDays(day: string, n: number): string {
  const key = `${day}+${n}`;
  let d = shifted.get(key);
  if (d === undefined) shifted.set(key, (d = addDays(day, n)));
  return d;
}
