import { describe, expect, it } from 'vitest';
import { platformStats } from '../src/routes/platform-stats.ts';

// GET /platform-stats's fold (reports.md section 3), on rows as the query hands them over. One
// row per status, counts 2^n, so every sum says which statuses are in it.
const STATUSES = [
  'created', 'pending-virus-check', 'sending', 'pending', 'sent', 'delivered', 'cancelled', 'returned-letter',
  'validation-failed', 'virus-scan-failed', 'technical-failure', 'temporary-failure', 'permanent-failure', 'failed',
];

describe('platformStats', () => {
  it('groups statuses as reports.md section 3 says, per type', () => {
    const rows = [
      ...STATUSES.map((status, i) => ({ notification_type: 'sms', status, total: 2 ** i })),
      { notification_type: 'email', status: 'delivered', total: 5 },
    ];
    const zero = { total: 0, delivered: 0, failed: 0, requested: 0, 'technical-failure': 0, 'temporary-failure': 0, 'permanent-failure': 0 };
    expect(platformStats(rows)).toEqual({
      sms: {
        total: 16383, // all 14
        delivered: 16 + 32, // sent + delivered
        failed: 256 + 512 + 1024 + 2048 + 4096 + 8192, // validation-failed .. failed; not returned-letter (128)
        requested: 16383 - 64, // all but cancelled
        'technical-failure': 1024,
        'temporary-failure': 2048,
        'permanent-failure': 4096,
      },
      email: { ...zero, total: 5, delivered: 5, requested: 5 },
      letter: zero,
    });
  });
});
