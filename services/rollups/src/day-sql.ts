import { BILLABLE_STATUSES } from '@notify-stats/events';

// The newest snapshot wins: greatest updated_at, then the status ranked later, then the greater event_id.
const NEWEST = 'tuple(updated_at, status_rank, toString(event_id))';
const ZERO_UUID = "toUUID('00000000-0000-0000-0000-000000000000')";

const quoted = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(', ');
const BILLABLE = (Object.keys(BILLABLE_STATUSES) as Array<keyof typeof BILLABLE_STATUSES>)
  .map((type) => `(notification_type = '${type}' AND status IN (${quoted(BILLABLE_STATUSES[type])}))`)
  .join(' OR ');

/**
 * Current snapshot of every notification created on {day}, one row per notification. One argMax
 * over a tuple keeps one state per notification (eleven argMax would keep eleven), which is most
 * of a rebuild's memory and time.
 */
export const currentNotificationsSql = (table: string) => `
  INSERT INTO ${table}
  SELECT
    notification_id,
    s.1 AS service_id, s.2 AS template_id, s.3 AS job_id, s.4 AS notification_type, s.5 AS key_type,
    s.6 AS status, s.7 AS billable_units, s.8 AS rate_multiplier, s.9 AS international, s.10 AS sent_by, s.11 AS postage
  FROM (
    SELECT notification_id,
           argMax(tuple(service_id, template_id, job_id, notification_type, key_type, status, billable_units,
                        rate_multiplier, international, sent_by, postage), ${NEWEST}) AS s
    FROM notification_events
    WHERE created_day = {day: Date}
    GROUP BY notification_id
  )`;

/** Letter prices in force at London midnight of the day: the latest start_date per class and sheets. */
const LETTER_RATES = `
  SELECT post_class, sheet_count, argMax(rate, start_date) AS rate
  FROM ref_letter_rates FINAL
  WHERE start_date <= {midnight: DateTime64(6, 'UTC')}
  GROUP BY post_class, sheet_count`;

const SMS_RATE = `(SELECT argMax(rate, valid_from) FROM ref_sms_rates FINAL WHERE valid_from <= {midnight: DateTime64(6, 'UTC')})`;

export const statusFactsSql = (staging: string, current: string) => `
  INSERT INTO ${staging} (day, service_id, template_id, job_id, notification_type, key_type, status, notification_count)
  SELECT {day: Date}, service_id, ifNull(template_id, ${ZERO_UUID}), ifNull(job_id, ${ZERO_UUID}),
         notification_type, key_type, status, count()
  FROM ${current}
  GROUP BY service_id, template_id, job_id, notification_type, key_type, status`;

export const billingFactsSql = (staging: string, current: string) => `
  INSERT INTO ${staging} (day, service_id, template_id, notification_type, provider, rate_multiplier, international,
                          rate, postage, sheets, notifications_sent, billable_units, chargeable_units)
  SELECT {day: Date} AS fact_day, service_id, ifNull(template_id, ${ZERO_UUID}) AS fact_template, notification_type,
         multiIf(notification_type = 'email', 'ses', notification_type = 'letter', 'dvla', ifNull(sent_by, 'unknown')) AS provider,
         if(notification_type = 'sms', ifNull(rate_multiplier, 1), 1) AS multiplier,
         ifNull(international, false) AS is_international,
         multiIf(notification_type = 'sms', ${SMS_RATE},
                 notification_type = 'letter', ifNull(lr.rate, toDecimal128(0, 10)),
                 toDecimal128(0, 10)) AS fact_rate,
         if(notification_type = 'letter', ifNull(postage, ''), '') AS fact_postage,
         if(notification_type = 'letter', billable_units, 0) AS fact_sheets,
         count(),
         sum(if(notification_type = 'email', 0, billable_units)),
         sum(if(notification_type = 'email', 0, billable_units) * multiplier)
  FROM ${current} AS c
  LEFT JOIN (${LETTER_RATES}) AS lr ON lr.post_class = ifNull(c.postage, '') AND lr.sheet_count = c.billable_units
  WHERE key_type != 'test' AND (${BILLABLE})
  GROUP BY fact_day, service_id, fact_template, notification_type, provider, multiplier, is_international, fact_rate, fact_postage, fact_sheets`;

/** Letters whose latest despatch (greatest despatched_on, then event_id) falls on {day}. */
const DESPATCHED_ON_DAY = `
  SELECT notification_id,
         argMax(despatched_on, tuple(despatched_on, toString(event_id))) AS latest_day,
         argMax(cost_threshold, tuple(despatched_on, toString(event_id))) AS cost_threshold
  FROM letter_despatches
  WHERE notification_id IN (SELECT notification_id FROM letter_despatches WHERE despatched_on = {day: Date})
  GROUP BY notification_id
  HAVING latest_day = {day: Date}`;

const LETTER_SNAPSHOTS = `
  SELECT notification_id,
         argMax(postage, ${NEWEST}) AS postage,
         argMax(billable_units, ${NEWEST}) AS sheets,
         argMax(key_type, ${NEWEST}) AS key_type
  FROM letter_events
  WHERE notification_id IN (SELECT notification_id FROM letter_despatches WHERE despatched_on = {day: Date})
  GROUP BY notification_id`;

export const despatchFactsSql = (staging: string) => `
  INSERT INTO ${staging} (day, postage, cost_threshold, sheets, rate, letters)
  SELECT {day: Date} AS fact_day, l.postage AS fact_postage, d.cost_threshold AS threshold, l.sheets AS fact_sheets,
         ifNull(lr.rate, toDecimal128(0, 10)) AS fact_rate, count()
  FROM (${DESPATCHED_ON_DAY}) AS d
  INNER JOIN (${LETTER_SNAPSHOTS}) AS l ON l.notification_id = d.notification_id
  LEFT JOIN (${LETTER_RATES}) AS lr ON lr.post_class = l.postage AND lr.sheet_count = l.sheets
  WHERE l.key_type != 'test' AND l.postage IS NOT NULL
  GROUP BY fact_day, fact_postage, threshold, fact_sheets, fact_rate`;
