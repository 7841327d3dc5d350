// One notification's life: the statuses it goes through, when, and what it costs.
import type { CostThreshold, KeyType, NotificationType, Postage, Status } from '@notify-stats/events';
import { dayBounds, plusDays } from './days.ts';
import { weights, type Rng } from './ids.ts';
import type { ServiceTraffic } from './reference-data.ts';

export interface Lifecycle {
  /** Position in generation order: a dense index the tally keys its per-notification state on. */
  seq: number;
  /** Kafka's murmur2 of the notification id, the key of all its messages (set when serialised). */
  keyHash: number;
  serviceId: string;
  templateId: string | null;
  jobId: string | null;
  /** London day of `created_at`: the report day. */
  day: string;
  type: NotificationType;
  keyType: KeyType;
  /** sms fragments, letter sheets, 0 for email (0 on an sms's `created` snapshot, before it is sent). */
  units: number;
  rateMultiplier: number | null;
  international: boolean | null;
  /** `sent_by` from `sending` on (null on `created`). */
  provider: string | null;
  postage: Postage | null;
  statuses: Status[];
  /** updated_at (epoch ms) of each status, strictly increasing; times[0] is created_at. */
  times: number[];
  despatch: { day: string; costThreshold: CostThreshold; time: number } | null;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const TYPES = weights<NotificationType>([['email', 0.6], ['sms', 0.33], ['letter', 0.07]]);
const LIVE_KEYS = weights<KeyType>([['normal', 0.93], ['team', 0.05], ['test', 0.02]]);
const TRIAL_KEYS = weights<KeyType>([['team', 0.9], ['test', 0.1]]);
const EMAIL_END = weights<Status>([['delivered', 0.9], ['permanent-failure', 0.05], ['temporary-failure', 0.035], ['technical-failure', 0.015]]);
const SMS_END = weights<Status>([['delivered', 0.84], ['sent', 0.04], ['permanent-failure', 0.06], ['temporary-failure', 0.04], ['technical-failure', 0.02]]);
const FRAGMENTS = weights([[1, 0.7], [2, 0.2], [3, 0.07], [4, 0.03]]);
const POSTAGE = weights<Postage>([['second', 0.6], ['first', 0.2], ['economy', 0.1], ['europe', 0.05], ['rest-of-world', 0.05]]);
const SHEETS = weights([[1, 0.4], [2, 0.3], [3, 0.15], [4, 0.1], [5, 0.05]]);
const SMS_PROVIDERS = ['mmg', 'firetext'] as const;

export interface LifecycleShares {
  /** Share of sms sent abroad (rate_multiplier 2 or 3). */
  international: number;
  /** Share of sms that go through `pending` before their final status. */
  pending: number;
  /** Share of letters cancelled straight after creation. */
  cancelledLetters: number;
  returnedLetters: number;
  /** Share of domestic sms whose rate_multiplier is sent as null (which means 1). */
  nullMultiplier: number;
}

export const SHARES: LifecycleShares = { international: 0.05, pending: 0.4, cancelledLetters: 0.03, returnedLetters: 0.05, nullMultiplier: 0.1 };

/** A random instant of a London day (23 or 25 hours long on clock-change days). */
export function instantIn(rng: Rng, day: string, from = 0, to = 1): number {
  const { start, length } = dayBounds(day);
  return start + Math.floor(length * (from + (to - from) * rng.float()));
}

export function buildLifecycle(rng: Rng, seq: number, day: string, created: number, service: ServiceTraffic): Lifecycle {
  const type = rng.weighted(TYPES);
  const lc: Lifecycle = {
    seq,
    keyHash: 0,
    serviceId: service.info.id,
    templateId: rng.pick(service.templates),
    jobId: rng.chance(0.15) ? rng.uuid() : null,
    day,
    type,
    keyType: rng.weighted(service.info.restricted ? TRIAL_KEYS : LIVE_KEYS),
    units: 0,
    rateMultiplier: null,
    international: false,
    provider: null,
    postage: null,
    statuses: ['created'],
    times: [created],
    despatch: null,
  };

  if (type === 'email') {
    lc.provider = 'ses';
    then(lc, rng, 'sending', 50, 3 * SECOND);
    then(lc, rng, rng.weighted(EMAIL_END), SECOND, 2 * MINUTE);
  } else if (type === 'sms') {
    lc.units = rng.weighted(FRAGMENTS);
    lc.international = rng.chance(SHARES.international);
    lc.rateMultiplier = lc.international ? rng.int(2, 3) : rng.chance(SHARES.nullMultiplier) ? null : 1;
    lc.provider = rng.pick(SMS_PROVIDERS);
    then(lc, rng, 'sending', 50, 3 * SECOND);
    const end = rng.weighted(SMS_END);
    if (end !== 'technical-failure' && rng.chance(SHARES.pending)) then(lc, rng, 'pending', 500, 5 * SECOND);
    then(lc, rng, end, SECOND, 5 * MINUTE);
  } else {
    lc.units = rng.weighted(SHEETS);
    lc.postage = rng.weighted(POSTAGE);
    lc.international = lc.postage === 'europe' || lc.postage === 'rest-of-world';
    lc.provider = 'dvla';
    if (rng.chance(SHARES.cancelledLetters)) {
      then(lc, rng, 'cancelled', MINUTE, 3 * HOUR);
    } else {
      then(lc, rng, 'sending', HOUR, 10 * HOUR);
      if (rng.chance(SHARES.returnedLetters)) then(lc, rng, 'returned-letter', 5 * DAY, 12 * DAY);
      else then(lc, rng, 'delivered', DAY, 3 * DAY);
      // Test letters are never printed, so never despatched.
      if (lc.keyType !== 'test') {
        const despatchDay = plusDays(day, rng.int(1, 2));
        lc.despatch = {
          day: despatchDay,
          costThreshold: rng.chance(0.7) ? 'sorted' : 'unsorted',
          time: instantIn(rng, despatchDay, 8 / 24, 18 / 24),
        };
      }
    }
  }
  return lc;
}

/** Appends a status reached between `min` and `max` ms after the previous one. */
function then(lc: Lifecycle, rng: Rng, status: Status, min: number, max: number): void {
  lc.times.push(lc.times[lc.times.length - 1]! + rng.int(min, max));
  lc.statuses.push(status);
}
