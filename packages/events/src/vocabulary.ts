/** Statuses in tie-break rank order, lowest first (events.md section 1). */
export const STATUSES = [
  'created',
  'pending-virus-check',
  'sending',
  'pending',
  'sent',
  'delivered',
  'cancelled',
  'returned-letter',
  'validation-failed',
  'virus-scan-failed',
  'technical-failure',
  'temporary-failure',
  'permanent-failure',
  'failed',
] as const;
export type Status = (typeof STATUSES)[number];

const RANK = new Map<string, number>(STATUSES.map((s, i) => [s, i]));
export const statusRank = (s: Status): number => RANK.get(s) ?? 0;

export const NOTIFICATION_TYPES = ['email', 'sms', 'letter'] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export const KEY_TYPES = ['normal', 'team', 'test'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export const POSTAGES = ['first', 'second', 'economy', 'europe', 'rest-of-world'] as const;
export type Postage = (typeof POSTAGES)[number];

export const COST_THRESHOLDS = ['sorted', 'unsorted'] as const;
export type CostThreshold = (typeof COST_THRESHOLDS)[number];

/** Statuses that put a notification into the billing facts (reports.md section 2). */
export const BILLABLE_STATUSES: Record<NotificationType, readonly Status[]> = {
  sms: ['sending', 'sent', 'delivered', 'pending', 'temporary-failure', 'permanent-failure'],
  email: ['sending', 'delivered', 'temporary-failure', 'permanent-failure'],
  letter: ['sending', 'delivered', 'returned-letter'],
};
