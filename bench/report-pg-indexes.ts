// PostgreSQL's best indexes for the six reports (bench/report-pg-queries.ts), added after the
// reference platform's own: each report's scan becomes an index-only scan of just the columns
// it reads, in (type, day) order where it filters by type. Measured before with the reference's
// indexes only: see docs/benchmarks.md section 3.
import type pg from 'pg';

export const REPORT_INDEXES = `
  CREATE INDEX ix_ft_notification_status_report ON ft_notification_status (bst_date)
    INCLUDE (notification_type, notification_status, key_type, notification_count);
  CREATE INDEX ix_ft_billing_type_date ON ft_billing (notification_type, bst_date)
    INCLUDE (service_id, rate, provider, postage, billable_units, rate_multiplier, notifications_sent);
  CREATE INDEX ix_ft_billing_date ON ft_billing (bst_date)
    INCLUDE (notification_type, service_id, rate, billable_units, rate_multiplier, notifications_sent);
  CREATE INDEX ix_annual_billing_year ON annual_billing (financial_year_start, service_id) INCLUDE (free_sms_fragment_limit);
  CREATE INDEX ix_services_live ON services (id) WHERE NOT restricted AND active AND count_as_live;`;

export async function addReportIndexes(db: pg.Pool): Promise<void> {
  await db.query(REPORT_INDEXES);
  // Index-only scans need the visibility map: vacuum after building.
  await db.query('VACUUM ANALYZE');
}
