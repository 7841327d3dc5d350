// One financial year of facts for S services, written into our ClickHouse tables and into the
// reference platform's PostgreSQL fact tables by the same integer formulas, so both hold the
// same numbers. Row n of a day: service n % S; the rest of n picks type, status or provider.
//
// Service i (1..S): id 00000000-0000-4000-8000-<i in 12 hex digits>, organisation (i % 200) + 1
// except every tenth service (none), not counted as live when i % 20 = 0, free allowance
// [0, 40000, 150000, 250000][i % 4] in FY 2023.
import { markFilled, type ClickHouseClient } from '@notify-stats/clickhouse';
import type pg from 'pg';

export const FY = { start: '2023-04-01', end: '2024-03-31', year: 2023, days: 366 } as const;
const ORGANISATIONS = 200;

// ----------------------------------------------------------------------------------------------
// ClickHouse: the rollups' fact tables and the reference-data tables the reports join.

const chServiceId = (n: string) => `toUUID(concat('00000000-0000-4000-8000-', leftPad(lower(hex(toUInt64(${n}))), 12, '0')))`;
const chOrgId = (n: string) => `toUUID(concat('00000000-0000-4000-9000-', leftPad(lower(hex(toUInt64(${n}))), 12, '0')))`;
const ZERO = "toUUID('00000000-0000-0000-0000-000000000000')";

export async function fillClickhouse(client: ClickHouseClient, services: number): Promise<void> {
  const s = { s: services };
  // A year is 366 daily partitions in one INSERT; the rollups write one day at a time.
  const settings = { max_partitions_per_insert_block: '1000' };
  await client.command({
    query: `INSERT INTO fact_notification_status
      SELECT toDate('${FY.start}') + intDiv(number, {s: UInt32} * 9), ${chServiceId('number % {s: UInt32} + 1')}, ${ZERO}, ${ZERO},
             ['email','sms','letter'][intDiv(number % ({s: UInt32} * 9), {s: UInt32}) % 3 + 1], 'normal',
             ['delivered','permanent-failure','sending'][intDiv(number % ({s: UInt32} * 9), {s: UInt32} * 3) + 1],
             1 + number % 50
      FROM numbers({s: UInt32} * 9 * ${FY.days})`,
    query_params: s,
    clickhouse_settings: settings,
  });
  await client.command({
    query: `INSERT INTO fact_billing
      SELECT toDate('${FY.start}') + intDiv(number, {s: UInt32} * 3), ${chServiceId('number % {s: UInt32} + 1')}, ${ZERO},
             ['email','sms','letter'][intDiv(number % ({s: UInt32} * 3), {s: UInt32}) + 1] AS type,
             multiIf(type = 'email', 'ses', type = 'letter', 'dvla', ['mmg','firetext'][number % 2 + 1]),
             1, false, multiIf(type = 'sms', toDecimal128('0.0197', 10), type = 'letter', toDecimal128('0.54', 10), toDecimal128(0, 10)),
             if(type = 'letter', 'second', ''), if(type = 'letter', 2, 0),
             1 + number % 40, if(type = 'email', 0, 2 * (1 + number % 40)), if(type = 'email', 0, 2 * (1 + number % 40))
      FROM numbers({s: UInt32} * 3 * ${FY.days})`,
    query_params: s,
    clickhouse_settings: settings,
  });
  // 50 despatch lines a day: 5 postages x 2 thresholds x 1..5 sheets.
  await client.command({
    query: `INSERT INTO fact_letter_despatch
      SELECT toDate('${FY.start}') + intDiv(number, 50),
             ['economy','europe','first','rest-of-world','second'][intDiv(number % 50, 10) + 1],
             ['sorted','unsorted'][intDiv(number % 10, 5) + 1], number % 5 + 1,
             toDecimal128('0.30', 10) + toDecimal128('0.1', 10) * (number % 5 + 1), 1 + number % 97
      FROM numbers(50 * ${FY.days})`,
    clickhouse_settings: settings,
  });
  await client.command({
    query: `INSERT INTO ref_organisations (key, id, name, version, is_deleted)
      SELECT concat('organisation:', toString(${chOrgId('number + 1')})), ${chOrgId('number + 1')}, concat('Organisation ', toString(number + 1)), 1, 0
      FROM numbers(${ORGANISATIONS})`,
  });
  await client.command({
    query: `INSERT INTO ref_services (key, id, name, organisation_id, restricted, active, count_as_live, billing_reference, version, is_deleted)
      SELECT concat('service:', toString(${chServiceId('number + 1')})), ${chServiceId('number + 1')}, concat('Service ', toString(number + 1)),
             if((number + 1) % 10 = 0, NULL, ${chOrgId('(number + 1) % 200 + 1')}), false, true, (number + 1) % 20 != 0,
             concat('ref-', toString(number + 1)), 1, 0
      FROM numbers({s: UInt32})`,
    query_params: s,
  });
  await client.command({
    query: `INSERT INTO ref_annual_billing
      SELECT concat('annual_billing:', toString(${chServiceId('number + 1')}), ':${FY.year}'), ${chServiceId('number + 1')}, ${FY.year},
             [0, 40000, 150000, 250000][(number + 1) % 4 + 1], 1, 0
      FROM numbers({s: UInt32})`,
    query_params: s,
  });
  // The views filled the monthly sums as the facts went in (a new pipeline): mark them, as the rollups would.
  await markFilled(client, 'monthlySums');
}

// ----------------------------------------------------------------------------------------------
// PostgreSQL: the reference platform's ft_billing / ft_notification_status with their primary
// keys and single-column indexes, its services / organisation / annual_billing, and a despatch
// fact table shaped like ours (the reference keeps despatch costs elsewhere).

const pgServiceId = (n: string) => `('00000000-0000-4000-8000-' || lpad(to_hex(${n}), 12, '0'))::uuid`;
const pgOrgId = (n: string) => `('00000000-0000-4000-9000-' || lpad(to_hex(${n}), 12, '0'))::uuid`;
const PG_ZERO = "'00000000-0000-0000-0000-000000000000'::uuid";

const PG_SCHEMA = `
  CREATE TABLE ft_notification_status (
    bst_date date NOT NULL, template_id uuid NOT NULL, service_id uuid NOT NULL, job_id uuid NOT NULL,
    notification_type text NOT NULL, key_type text NOT NULL, notification_status text NOT NULL,
    notification_count integer NOT NULL, created_at timestamp NOT NULL DEFAULT now(), updated_at timestamp,
    PRIMARY KEY (bst_date, template_id, service_id, job_id, notification_type, key_type, notification_status));
  CREATE INDEX ix_ft_notification_status_bst_date ON ft_notification_status (bst_date);
  CREATE INDEX ix_ft_notification_status_service_id ON ft_notification_status (service_id);
  CREATE INDEX ix_ft_notification_status_template_id ON ft_notification_status (template_id);
  CREATE INDEX ix_ft_notification_status_job_id ON ft_notification_status (job_id);

  CREATE TABLE ft_billing (
    bst_date date NOT NULL, template_id uuid NOT NULL, service_id uuid NOT NULL, notification_type text NOT NULL,
    provider text NOT NULL, rate_multiplier integer NOT NULL, international boolean NOT NULL, rate numeric NOT NULL,
    postage varchar NOT NULL, billable_units integer, notifications_sent integer, billing_total numeric(16, 8),
    created_at timestamp NOT NULL DEFAULT now(), updated_at timestamp,
    PRIMARY KEY (bst_date, template_id, service_id, notification_type, provider, rate_multiplier, international, rate, postage));
  CREATE INDEX ix_ft_billing_bst_date ON ft_billing (bst_date);
  CREATE INDEX ix_ft_billing_service_id ON ft_billing (service_id);
  CREATE INDEX ix_ft_billing_template_id ON ft_billing (template_id);

  CREATE TABLE ft_letter_despatch (
    bst_date date NOT NULL, postage text NOT NULL, cost_threshold text NOT NULL, sheets integer NOT NULL,
    rate numeric NOT NULL, letters integer NOT NULL,
    PRIMARY KEY (bst_date, postage, cost_threshold, sheets, rate));

  CREATE TABLE organisation (
    id uuid PRIMARY KEY, name text NOT NULL, purchase_order_number text, billing_contact_names text,
    billing_contact_email_addresses text, billing_reference text);
  CREATE TABLE services (
    id uuid PRIMARY KEY, name text NOT NULL, organisation_id uuid REFERENCES organisation (id),
    restricted boolean NOT NULL, active boolean NOT NULL, count_as_live boolean NOT NULL,
    purchase_order_number text, billing_contact_names text, billing_contact_email_addresses text, billing_reference text);
  CREATE INDEX ix_services_organisation_id ON services (organisation_id);
  CREATE TABLE annual_billing (
    id serial PRIMARY KEY, service_id uuid NOT NULL REFERENCES services (id), financial_year_start integer NOT NULL,
    free_sms_fragment_limit bigint NOT NULL);
  CREATE INDEX ix_annual_billing_service_id ON annual_billing (service_id);`;

export async function fillPostgres(db: pg.Pool, services: number): Promise<void> {
  await db.query(PG_SCHEMA);
  const s = services;
  await db.query(`
    INSERT INTO ft_notification_status (bst_date, template_id, service_id, job_id, notification_type, key_type, notification_status, notification_count)
    SELECT date '${FY.start}' + (n / (${s} * 9))::int, ${PG_ZERO}, ${pgServiceId(`n % ${s} + 1`)}, ${PG_ZERO},
           (ARRAY['email','sms','letter'])[((n % (${s} * 9)) / ${s}) % 3 + 1], 'normal',
           (ARRAY['delivered','permanent-failure','sending'])[(n % (${s} * 9)) / (${s} * 3) + 1],
           1 + n % 50
    FROM generate_series(0::bigint, ${s} * 9 * ${FY.days} - 1) AS n`);
  await db.query(`
    INSERT INTO ft_billing (bst_date, template_id, service_id, notification_type, provider, rate_multiplier, international, rate, postage, billable_units, notifications_sent, billing_total)
    SELECT day, ${PG_ZERO}, service_id, type,
           CASE type WHEN 'email' THEN 'ses' WHEN 'letter' THEN 'dvla' ELSE (ARRAY['mmg','firetext'])[n % 2 + 1] END,
           1, false, CASE type WHEN 'sms' THEN 0.0197 WHEN 'letter' THEN 0.54 ELSE 0 END,
           CASE type WHEN 'letter' THEN 'second' ELSE 'none' END,
           CASE type WHEN 'email' THEN 0 ELSE 2 * (1 + n % 40) END, 1 + n % 40, 0
    FROM (SELECT n, date '${FY.start}' + (n / (${s} * 3))::int AS day, ${pgServiceId(`n % ${s} + 1`)} AS service_id,
                 (ARRAY['email','sms','letter'])[(n % (${s} * 3)) / ${s} + 1] AS type
          FROM generate_series(0::bigint, ${s} * 3 * ${FY.days} - 1) AS n) AS g`);
  await db.query(`
    INSERT INTO ft_letter_despatch
    SELECT date '${FY.start}' + (n / 50)::int, (ARRAY['economy','europe','first','rest-of-world','second'])[(n % 50) / 10 + 1],
           (ARRAY['sorted','unsorted'])[(n % 10) / 5 + 1], n % 5 + 1, 0.30 + 0.1 * (n % 5 + 1), 1 + n % 97
    FROM generate_series(0, 50 * ${FY.days} - 1) AS n`);
  await db.query(`
    INSERT INTO organisation (id, name) SELECT ${pgOrgId('n')}, 'Organisation ' || n FROM generate_series(1, ${ORGANISATIONS}) AS n`);
  await db.query(`
    INSERT INTO services (id, name, organisation_id, restricted, active, count_as_live, billing_reference)
    SELECT ${pgServiceId('n')}, 'Service ' || n, CASE WHEN n % 10 = 0 THEN NULL ELSE ${pgOrgId('n % 200 + 1')} END,
           false, true, n % 20 != 0, 'ref-' || n
    FROM generate_series(1, ${s}) AS n`);
  await db.query(`
    INSERT INTO annual_billing (service_id, financial_year_start, free_sms_fragment_limit)
    SELECT ${pgServiceId('n')}, ${FY.year}, (ARRAY[0, 40000, 150000, 250000])[n % 4 + 1] FROM generate_series(1, ${s}) AS n`);
  await db.query('VACUUM ANALYZE');
}
