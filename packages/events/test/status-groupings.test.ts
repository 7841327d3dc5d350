// The status groupings the reports count by, written out by hand from reports.md section 3 and
// issue 7 (the messaging buckets), never copied from vocabulary.ts.
import { describe, expect, it } from 'vitest';
import { DELIVERED_STATUSES, MESSAGING_STATUS_BUCKETS, NOT_REQUESTED_STATUSES, PLATFORM_FAILED_STATUSES } from '../src/index.ts';

const sorted = (xs: readonly string[]) => [...xs].sort();

describe('platform-stats groupings (reports.md section 3)', () => {
  it('delivered = delivered + sent', () => {
    expect(sorted(DELIVERED_STATUSES)).toEqual(['delivered', 'sent']);
  });

  it('failed = the three failures, validation-failed, virus-scan-failed and failed; returned-letter is not one', () => {
    expect(sorted(PLATFORM_FAILED_STATUSES)).toEqual(
      sorted(['technical-failure', 'temporary-failure', 'permanent-failure', 'validation-failed', 'virus-scan-failed', 'failed']),
    );
  });

  it('requested leaves out cancelled only', () => {
    expect(sorted(NOT_REQUESTED_STATUSES)).toEqual(['cancelled']);
  });
});

describe('messaging buckets (GET /v2/stats/messaging)', () => {
  it('holds each of the 14 statuses in exactly one bucket', () => {
    expect(Object.fromEntries(Object.entries(MESSAGING_STATUS_BUCKETS).map(([bucket, statuses]) => [bucket, sorted(statuses)]))).toEqual({
      messagesSentDelivered: ['delivered', 'sent'],
      messagesSentAccepted: ['created', 'pending-virus-check', 'sending'],
      messagesSentBuffered: ['pending'],
      messagesSentFailed: ['failed', 'permanent-failure', 'returned-letter', 'technical-failure', 'temporary-failure', 'virus-scan-failed'],
      messagesSentRejected: ['cancelled', 'validation-failed'],
    });
  });
});
