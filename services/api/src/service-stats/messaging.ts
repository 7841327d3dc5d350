import { MESSAGING_STATUS_BUCKETS, type MessagingBucket } from '@notify-stats/events';
import { moneyToNumber, sumMoney } from '@notify-stats/money';
import { GROUPINGS, MAX_PERIODS, periodCount, periodOf, periodStarts, peerDate, resolveWindow, tooManyPeriods, type By, type DayWindow } from './periods.ts';
import { fail, ok, type Result } from './result.ts';

// The peer's order, which its error message lists (not the event vocabulary's).
export const MESSAGING_TYPES = ['sms', 'email', 'letter'] as const;
type NotificationType = (typeof MESSAGING_TYPES)[number];

const BUCKET_OF = new Map<string, MessagingBucket>(
  Object.entries(MESSAGING_STATUS_BUCKETS).flatMap(([bucket, statuses]) => statuses.map((s) => [s, bucket as MessagingBucket] as const)),
);

/** One element of GET /v2/stats/messaging. */
export interface MessagingPeriod extends Record<MessagingBucket, number> {
  date: string;
  costs: number;
  deliveryRate: number;
  replyRate: number;
  messagesReceived: number;
  messagesSentParts: number;
}

export interface MessagingQuery {
  by: By;
  type: NotificationType;
  window: DayWindow;
}

/** The query's values, or the first problem with it (by, start, end, their order, type, size). */
export function resolveMessagingQuery(q: Record<string, unknown>, nowMs = Date.now()): Result<MessagingQuery> {
  const by = q.by ?? 'off';
  if (typeof by !== 'string' || !(GROUPINGS as readonly string[]).includes(by)) return fail(`by must be one of ${GROUPINGS.join(', ')}`);
  const window = resolveWindow(q, nowMs);
  if (!window.ok) return window;
  const type = q.notification_type ?? 'sms';
  if (typeof type !== 'string' || !(MESSAGING_TYPES as readonly string[]).includes(type)) {
    return fail(`notification_type must be one of ${MESSAGING_TYPES.join(', ')}`);
  }
  const n = periodCount(window.value, by as By);
  if (n > MAX_PERIODS) return fail(tooManyPeriods(n));
  return ok({ by: by as By, type: type as NotificationType, window: window.value });
}

interface Totals {
  costs: string[];
  parts: number;
  received: number;
  buckets: Record<MessagingBucket, number>;
}

const empty = (): Totals => ({
  costs: [],
  parts: 0,
  received: 0,
  buckets: { messagesSentDelivered: 0, messagesSentAccepted: 0, messagesSentBuffered: 0, messagesSentFailed: 0, messagesSentRejected: 0 },
});

export interface MessagingInputs {
  statuses: ReadonlyArray<{ day: string; status: string; total: number }>;
  billing: ReadonlyArray<{ day: string; units: number; cost: string }>;
  /** Sms charged after the allowance (empty for other types). */
  charged: ReadonlyArray<{ day: string; cost: string }>;
  inbound: ReadonlyArray<{ day: string; received: number }>;
}

/** Folds daily numbers into the peer's periods: every period of the window, traffic or not. */
export function messagingPeriods(q: MessagingQuery, input: MessagingInputs): MessagingPeriod[] {
  const starts = periodStarts(q.window, q.by);
  const totals = new Map(starts.map((p) => [p, empty()]));
  const at = (day: string) => totals.get(periodOf(day, q.by, q.window.first));
  for (const s of input.statuses) {
    const bucket = BUCKET_OF.get(s.status);
    const t = at(s.day);
    if (bucket && t) t.buckets[bucket] += s.total;
  }
  for (const b of input.billing) {
    const t = at(b.day);
    if (!t) continue;
    t.parts += b.units;
    if (q.type !== 'sms') t.costs.push(b.cost);
  }
  for (const c of input.charged) at(c.day)?.costs.push(c.cost);
  // Inbound texts answer sms; they are no reply to an email or a letter.
  if (q.type === 'sms') for (const i of input.inbound) {
    const t = at(i.day);
    if (t) t.received += i.received;
  }
  return starts.map((p) => {
    const t = totals.get(p) ?? empty();
    const sent = Object.values(t.buckets).reduce((a, b) => a + b, 0);
    return {
      date: q.by === 'off' ? '' : peerDate(p),
      costs: moneyToNumber(sumMoney(t.costs)),
      deliveryRate: sent === 0 ? 0 : t.buckets.messagesSentDelivered / sent,
      replyRate: sent === 0 ? 0 : t.received / sent,
      messagesReceived: t.received,
      messagesSentParts: t.parts,
      ...t.buckets,
    };
  });
}
