import { z } from 'zod';
import { NOTIFICATION_TYPES, STATUSES } from './vocabulary.ts';

/** `status_<type>_<status>` (a status's hyphens as underscores): what /platform-stats and the per-service statistics count by. */
export const statusTotalName = (type: string, status: string) => `status_${type}_${status.replaceAll('-', '_')}`;

/**
 * The totals of a London day a restatement compares (docs/restatements.md): counts as integers,
 * money as exact decimal text.
 */
export const DAY_TOTALS: Readonly<Record<string, 'count' | 'money'>> = {
  ...Object.fromEntries(NOTIFICATION_TYPES.flatMap((t) => STATUSES.map((s) => [statusTotalName(t, s), 'count' as const]))),
  notifications_email: 'count',
  notifications_sms: 'count',
  notifications_letter: 'count',
  sms_chargeable_units: 'count',
  sms_cost: 'money',
  letters_sent: 'count',
  letter_cost: 'money',
  letters_despatched: 'count',
  despatch_cost: 'money',
  delivered: 'count',
};
export type DayTotalName = string;

/** Why a final day changed, where the rollups know it; null when a restart's re-check found it. */
export const RESTATEMENT_REASONS = ['late_event', 'late_rate', 'repair'] as const;
export type RestatementReason = (typeof RESTATEMENT_REASONS)[number];

const figure = z.string().describe('a count or an exact decimal amount, as text');

/** One message on notify.stats-restatements.v1 (key: the day). */
export const restatementEvent = z.object({
  /** The same for the same day, before and after: a consumer drops a message it has seen. */
  restatement_id: z.string(),
  day: z.iso.date(),
  reason: z.enum(RESTATEMENT_REASONS).nullable(),
  /** Only the totals that changed. */
  totals: z.record(z.string(), z.object({ before: figure, after: figure })),
  detected_at: z.iso.datetime(),
});
export type RestatementEvent = z.infer<typeof restatementEvent>;
