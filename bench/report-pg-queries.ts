// The six platform-stats reports as SQL on the reference platform's PostgreSQL fact tables:
// the same questions our API asks ClickHouse (services/api/src/queries), one list per endpoint,
// run together as the API runs its queries (Promise.all). Free allowances follow reports.md
// section 3: a running total of chargeable units per service and financial year.

export interface Range {
  start: string;
  end: string;
  /** 1 April of the range's first financial year. */
  fyStart: string;
  fy: number;
}

type Query = [sql: string, params: unknown[]];

const SMS_CHARGED = `
  WITH daily AS (
    SELECT service_id, bst_date, rate, sum(billable_units * rate_multiplier)::bigint AS units,
           (extract(year FROM bst_date) - CASE WHEN extract(month FROM bst_date) < 4 THEN 1 ELSE 0 END)::int AS fy
    FROM ft_billing
    WHERE notification_type = 'sms' AND bst_date BETWEEN $1 AND $3
    GROUP BY service_id, bst_date, rate
  ), running AS (
    SELECT d.*, sum(units) OVER (PARTITION BY service_id, fy ORDER BY bst_date, rate ROWS UNBOUNDED PRECEDING) AS used
    FROM daily AS d
  ), charged AS (
    SELECT r.service_id, r.rate,
           greatest(r.used - coalesce(a.free_sms_fragment_limit, 0), 0)
             - greatest(r.used - r.units - coalesce(a.free_sms_fragment_limit, 0), 0) AS units
    FROM running AS r
    LEFT JOIN annual_billing AS a ON a.service_id = r.service_id AND a.financial_year_start = r.fy
    WHERE r.bst_date >= $2
  )
  SELECT service_id, sum(units) AS sms_chargeable_units, sum(units * rate) AS sms_cost FROM charged GROUP BY service_id`;

const SERVICES = (live: boolean) => `
  SELECT s.id AS service_id, s.name AS service_name, coalesce(s.organisation_id::text, '') AS organisation_id,
         coalesce(o.name, '') AS organisation_name,
         coalesce(s.purchase_order_number, o.purchase_order_number) AS purchase_order_number,
         coalesce(s.billing_contact_names, o.billing_contact_names) AS contact_names,
         coalesce(s.billing_contact_email_addresses, o.billing_contact_email_addresses) AS contact_email_addresses,
         coalesce(s.billing_reference, o.billing_reference) AS billing_reference
  FROM services AS s LEFT JOIN organisation AS o ON o.id = s.organisation_id
  ${live ? 'WHERE NOT s.restricted AND s.active AND s.count_as_live' : ''}`;

export const POSTGRES_REPORTS: Record<string, (r: Range) => Query[]> = {
  '/platform-stats': (r) => [
    [
      `SELECT notification_type, notification_status, sum(notification_count) AS total
       FROM ft_notification_status
       WHERE bst_date BETWEEN $1 AND $2 AND key_type != 'test'
       GROUP BY notification_type, notification_status`,
      [r.start, r.end],
    ],
  ],
  '/platform-stats/data-for-billing-report': (r) => [
    [SMS_CHARGED, [r.fyStart, r.start, r.end]],
    [
      `SELECT service_id, postage, rate, sum(notifications_sent) AS letters, sum(notifications_sent * rate) AS cost
       FROM ft_billing
       WHERE notification_type = 'letter' AND bst_date BETWEEN $1 AND $2
       GROUP BY service_id, postage, rate`,
      [r.start, r.end],
    ],
    [SERVICES(false), []],
  ],
  '/platform-stats/data-for-dvla-billing-report': (r) => [
    [
      `SELECT bst_date AS date, postage, cost_threshold, sheets, rate, sum(letters) AS letters, sum(letters * rate) AS cost
       FROM ft_letter_despatch
       WHERE bst_date BETWEEN $1 AND $2
       GROUP BY bst_date, postage, cost_threshold, sheets, rate
       ORDER BY bst_date, postage, cost_threshold, rate, sheets`,
      [r.start, r.end],
    ],
  ],
  '/platform-stats/daily-volumes-report': (r) => [
    [
      `SELECT bst_date AS day,
              sum(notifications_sent) FILTER (WHERE notification_type = 'sms') AS sms_totals,
              sum(billable_units) FILTER (WHERE notification_type = 'sms') AS sms_fragment_totals,
              sum(billable_units * rate_multiplier) FILTER (WHERE notification_type = 'sms') AS sms_chargeable_units,
              sum(notifications_sent) FILTER (WHERE notification_type = 'email') AS email_totals,
              sum(notifications_sent) FILTER (WHERE notification_type = 'letter') AS letter_totals,
              sum(billable_units) FILTER (WHERE notification_type = 'letter') AS letter_sheet_totals
       FROM ft_billing
       WHERE bst_date BETWEEN $1 AND $2
       GROUP BY bst_date ORDER BY bst_date`,
      [r.start, r.end],
    ],
  ],
  '/platform-stats/daily-sms-provider-volumes-report': (r) => [
    [
      `SELECT bst_date AS day, provider, sum(notifications_sent) AS sms_totals, sum(billable_units) AS sms_fragment_totals,
              sum(billable_units * rate_multiplier) AS sms_chargeable_units, sum(billable_units * rate_multiplier * rate) AS sms_cost
       FROM ft_billing
       WHERE notification_type = 'sms' AND bst_date BETWEEN $1 AND $2
       GROUP BY bst_date, provider ORDER BY bst_date, provider`,
      [r.start, r.end],
    ],
  ],
  '/platform-stats/volumes-by-service': (r) => [
    [SERVICES(true), []],
    [
      `SELECT service_id,
              sum(notifications_sent) FILTER (WHERE notification_type = 'sms') AS sms_notifications,
              sum(billable_units * rate_multiplier) FILTER (WHERE notification_type = 'sms') AS sms_chargeable_units,
              sum(notifications_sent) FILTER (WHERE notification_type = 'email') AS email_totals,
              sum(notifications_sent) FILTER (WHERE notification_type = 'letter') AS letter_totals,
              sum(billable_units) FILTER (WHERE notification_type = 'letter') AS letter_sheet_totals,
              sum(notifications_sent * rate) FILTER (WHERE notification_type = 'letter') AS letter_cost
       FROM ft_billing
       WHERE bst_date BETWEEN $1 AND $2
       GROUP BY service_id`,
      [r.start, r.end],
    ],
    ['SELECT service_id, free_sms_fragment_limit FROM annual_billing WHERE financial_year_start = $1', [r.fy]],
  ],
};
