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

// Status groupings the reports count by. Each is named for what it means in its report; sets that
// look alike but differ (platform-stats `failed` against the messaging statistics' failed bucket,
// which has returned-letter and leaves validation-failed to `rejected`) are kept apart on purpose.

/** Reached the recipient: GET /platform-stats `delivered` (reports.md section 3), messaging `messagesSentDelivered`. */
export const DELIVERED_STATUSES = ['delivered', 'sent'] as const satisfies readonly Status[];

/** GET /platform-stats `failed` (reports.md section 3). */
export const PLATFORM_FAILED_STATUSES = [
  'technical-failure',
  'temporary-failure',
  'permanent-failure',
  'validation-failed',
  'virus-scan-failed',
  'failed',
] as const satisfies readonly Status[];

/** Never requested: GET /platform-stats `requested` is the total minus these (reports.md section 3). */
export const NOT_REQUESTED_STATUSES = ['cancelled'] as const satisfies readonly Status[];

/** The service messaging statistics' buckets (GET /v2/stats/messaging, issue 7): every status in exactly one. */
export const MESSAGING_STATUS_BUCKETS = {
  messagesSentDelivered: DELIVERED_STATUSES,
  messagesSentAccepted: ['created', 'sending', 'pending-virus-check'],
  messagesSentBuffered: ['pending'],
  messagesSentFailed: ['technical-failure', 'temporary-failure', 'permanent-failure', 'failed', 'virus-scan-failed', 'returned-letter'],
  messagesSentRejected: ['validation-failed', 'cancelled'],
} as const satisfies Record<string, readonly Status[]>;
export type MessagingBucket = keyof typeof MESSAGING_STATUS_BUCKETS;

