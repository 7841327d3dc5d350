import { addDays, isIsoDay, todayInLondon } from '@notify-stats/london';

/** What to generate. Either `count`, or `duration` (seconds) with `rate` (messages/s). */
export interface LoadgenOptions {
  /** Total messages, everything included: reference data, duplicates, invalid ones and late ones. */
  count?: number;
  /** Seconds; with `rate`, the count is `round(rate x duration)`. */
  duration?: number;
  /** Messages per second when producing; absent = as fast as possible. */
  rate?: number;
  /** Number of services (default 10). */
  services?: number;
  /** Any 32-bit integer (default 1). */
  seed?: number;
  /** London days of traffic, ending at `endDay` (default 30). */
  days?: number;
  /** Share of status changes (messages after `created`) held back and produced last, newest first. */
  lateFraction?: number;
  /** Probability that a status or despatch message is produced a second time (same bytes, same event_id). */
  duplicateFraction?: number;
  /** Share of the total count that is invalid messages (on top of the valid ones). */
  invalidFraction?: number;
  /** Last London day of traffic, `YYYY-MM-DD` (default: yesterday in London). */
  endDay?: string;
}

export interface ResolvedOptions {
  count: number;
  rate: number | null;
  services: number;
  seed: number;
  days: number;
  lateFraction: number;
  duplicateFraction: number;
  invalidFraction: number;
  firstDay: string;
  endDay: string;
}

/** A bad option: `option` names it (as in LoadgenOptions), `problem` says what is wrong with it. */
export class LoadgenOptionsError extends Error {
  override name = 'LoadgenOptionsError';
  constructor(readonly option: keyof LoadgenOptions | null, readonly problem: string) {
    super(option ? `${option} ${problem}` : problem);
  }
}

export const LIMITS = { maxCount: 1_000_000_000, maxServices: 10_000, maxDays: 3_660 } as const;

function check(cond: boolean, option: keyof LoadgenOptions | null, problem: string): asserts cond {
  if (!cond) throw new LoadgenOptionsError(option, problem);
}

const isInt = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n);
const isNum = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);

function fraction(name: 'lateFraction' | 'duplicateFraction' | 'invalidFraction', v: number | undefined, max: number): number {
  if (v === undefined) return 0;
  check(isNum(v) && v >= 0 && v <= max, name, `must be a number from 0 to ${max} (got ${v})`);
  return v;
}

/** Validates and fills defaults; every problem is a LoadgenOptionsError with a message for a person. */
export function resolveOptions(o: LoadgenOptions, now: Date = new Date()): ResolvedOptions {
  if (o.rate !== undefined) check(isNum(o.rate) && o.rate > 0, 'rate', `must be a positive number of messages per second (got ${o.rate})`);
  let count: number;
  if (o.duration !== undefined) {
    check(o.count === undefined, null, 'give either a count, or a duration with a rate, not both');
    check(isNum(o.duration) && o.duration > 0, 'duration', `must be a positive number of seconds (got ${o.duration})`);
    check(o.rate !== undefined, 'duration', 'needs a rate (messages per second)');
    count = Math.round(o.rate * o.duration);
  } else {
    check(o.count !== undefined, null, 'give a count, or a duration with a rate');
    count = o.count;
  }
  check(isInt(count) && count >= 1 && count <= LIMITS.maxCount, o.duration === undefined ? 'count' : 'duration', `must give a whole number of messages from 1 to ${LIMITS.maxCount} (got ${count})`);

  const services = o.services ?? 10;
  check(isInt(services) && services >= 1 && services <= LIMITS.maxServices, 'services', `must be an integer from 1 to ${LIMITS.maxServices} (got ${services})`);
  const seed = o.seed ?? 1;
  check(isInt(seed) && seed >= -0x80000000 && seed <= 0xffffffff, 'seed', `must be a 32-bit integer (got ${seed})`);
  const days = o.days ?? 30;
  check(isInt(days) && days >= 1 && days <= LIMITS.maxDays, 'days', `must be an integer from 1 to ${LIMITS.maxDays} (got ${days})`);
  const endDay = o.endDay ?? addDays(todayInLondon(now), -1);
  check(typeof endDay === 'string' && isIsoDay(endDay), 'endDay', `must be a date YYYY-MM-DD (got ${endDay})`);
  const firstDay = addDays(endDay, -(days - 1));
  check(firstDay >= '2001-01-01' && endDay <= '2098-12-31', 'endDay', `and days must keep the traffic between 2001-01-01 and 2098-12-31 (got ${firstDay} to ${endDay})`);

  return {
    count,
    rate: o.rate ?? null,
    services,
    seed: seed >>> 0,
    days,
    lateFraction: fraction('lateFraction', o.lateFraction, 1),
    duplicateFraction: fraction('duplicateFraction', o.duplicateFraction, 1),
    invalidFraction: fraction('invalidFraction', o.invalidFraction, 0.5),
    firstDay,
    endDay,
  };
}
