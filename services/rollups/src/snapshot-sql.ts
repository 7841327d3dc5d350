import { BILLABLE_STATUSES } from '@notify-stats/events';
import {
  FACT_BILLING,
  FACT_DELIVERY_LATENCY,
  FACT_LETTER_DESPATCH,
  LATENCY_EDGES_MS,
  FACT_NOTIFICATION_STATUS,
  NOTIFICATION_EVENTS,
  REF_LETTER_RATES,
  REF_SMS_RATES,
  SNAPSHOT_FIELDS,
  type Table,
} from '@notify-stats/clickhouse';

/**
 * SQL of the incremental rollups, in one place. Every statement is fixed text: values travel
 * as typed placeholders, and the only text composed at run time are the fixed relations below.
 *
 * A notification's snapshot is the newest of its events by `version` (see VERSION below). The
 * facts are a sum over notifications of each one's contribution; a cycle stages, for every
 * notification whose snapshot changed, the old snapshot with sign -1 and the new one with sign +1
 * (sign 0 rows are the window's newest events before the comparison), and the fact rows are the
 * signed contributions of those rows grouped by fact key.
 */

/**
 * The columns of a snapshot besides its identity, day and version: the raw table's own list
 * (packages/clickhouse tables/raw-events.ts), so that the snapshot tables' columns are named once.
 */
export { SNAPSHOT_FIELDS };
const FIELDS = SNAPSHOT_FIELDS.join(', ');
/** `name.1 AS a, name.2 AS b, ...` for a tuple whose elements start at `first`. */
const unpack = (tuple: string, names: readonly string[], first = 1) => names.map((n, i) => `${tuple}.${i + first} AS ${n}`).join(', ');

/**
 * events.md: the greatest updated_at wins, then the status ranked later, then the greater
 * event_id. Packed into one UInt256 compared as a number: microseconds << 136 | rank << 128 |
 * event_id as a 128-bit big-endian number (its text order; the engine's UUID order is not).
 * `toUInt128` of a UUID is that number (ClickHouse 23.7 on); migrations/0007 computes it in
 * notification_changes_v2_mv through the UUID's text, which took 220-260 ms over 4M raw rows
 * against 80-130 ms. A test holds the two equal.
 */
export const uuidTextOrder = (column: string) => `toUInt256(toUInt128(${column}))`;
export const VERSION = `bitShiftLeft(toUInt256(toUnixTimestamp64Micro(updated_at)), 136) + bitShiftLeft(toUInt256(status_rank), 128) + ${uuidTextOrder('event_id')}`;
/** A despatch: the latest despatched_on wins, then the greater event_id. */
export const DESPATCH_VERSION = `bitShiftLeft(toUInt256(toUInt16(despatched_on)), 128) + ${uuidTextOrder('event_id')}`;

const ZERO_UUID = "toUUID('00000000-0000-0000-0000-000000000000')";
const quoted = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(', ');
const BILLABLE = (Object.keys(BILLABLE_STATUSES) as Array<keyof typeof BILLABLE_STATUSES>)
  .map((type) => `(notification_type = '${type}' AND status IN (${quoted(BILLABLE_STATUSES[type])}))`)
  .join(' OR ');

// ---------------------------------------------------------------------------------------------
// Where a cycle's events come from: the change logs between two Kafka positions, or (a repair
// slice) the raw layer of one day.

/** `(source_partition = {p0} AND source_offset >= {f0} AND source_offset < {t0}) OR ...`: ranges the primary key serves. */
export function windowCondition(prefix: string, partitions: number): string {
  if (partitions === 0) return '0';
  return Array.from(
    { length: partitions },
    (_, i) =>
      `(source_partition = {${prefix}p${i}: UInt32} AND source_offset >= {${prefix}f${i}: UInt64} AND source_offset < {${prefix}t${i}: UInt64})`,
  ).join(' OR ');
}

/**
 * Of two rows with one version (one event), the one that knows its created_at: while migration
 * 0007 replaced the change log's view, an event could be logged by both views, the old one
 * without created_at (read as 0).
 */
const NEWEST = 'tuple(version, created_at)';

export const windowSnapshotsSql = (condition: string) => `
  SELECT notification_id, max(version) AS top, argMax(tuple(created_day, ${FIELDS}), ${NEWEST}) AS s
  FROM notification_changes WHERE ${condition} GROUP BY notification_id`;

/**
 * One slice of a day of the raw layer: the notifications from {from} on, and before {to} unless
 * it is the day's last slice. A range of the raw table's sort key (day, notification), so a slice
 * reads its own rows, not the whole day; the comparisons are the engine's order of UUIDs,
 * the order the boundaries were picked in (repair.ts). The newest event of each notification is
 * its first row by NEWEST, the rows read in the table's order: the engine merges the parts'
 * sorted rows and sorts each notification's few, and the rows reach the staging table in its own
 * order. argMax of the snapshot's tuple, as a window does, hashed every row and copied tuples of
 * nullable columns: a 50k-notification day took 206-243 ms to stage instead of 50-76 ms. A day
 * spread over many parts pays for merging them (1M notifications in 4 parts: 4.1-5.7 s, as with
 * argMax); an argMax per column was slower still (docs/benchmarks.md section 4).
 */
export const rawSnapshotsSql = (last: boolean) => `
  SELECT notification_id, version AS top, tuple(created_day, ${FIELDS}) AS s
  FROM (SELECT notification_id, ${VERSION} AS version, created_day, ${FIELDS} FROM ${NOTIFICATION_EVENTS.name}
        WHERE created_day = {day: Date} AND notification_id >= {from: UUID}${last ? '' : ' AND notification_id < {to: UUID}'}
        ORDER BY notification_id, version DESC, created_at DESC LIMIT 1 BY notification_id)`;

export const windowDespatchesSql = (condition: string) => `
  SELECT notification_id, max(${DESPATCH_VERSION}) AS version,
         argMax(tuple(despatched_on, cost_threshold), ${DESPATCH_VERSION}) AS d
  FROM despatch_changes WHERE ${condition} GROUP BY notification_id`;

export const rawDespatchesSql = `
  SELECT notification_id, max(${DESPATCH_VERSION}) AS version,
         argMax(tuple(despatched_on, cost_threshold), ${DESPATCH_VERSION}) AS d
  FROM letter_despatches WHERE despatched_on = {day: Date} GROUP BY notification_id`;

// ---------------------------------------------------------------------------------------------
// Staging: what changed, compared with what is counted today.

/** The source's newest snapshot per notification (`top` is its version), as sign 0 rows. */
export const stageIncomingSql = (incoming: string) => `
  INSERT INTO rollup_staged_snapshots (cycle, sign, notification_id, version, live, created_day, ${FIELDS})
  SELECT {cycle: UInt64}, 0, notification_id, top, 1, ${unpack('s', ['created_day', ...SNAPSHOT_FIELDS])}
  FROM (${incoming})`;

/**
 * The counted snapshot of the notifications staged with sign 0 (the newest row; a live row beats
 * its own tombstone, and a row counted again for its created_at beats the row it replaced).
 */
const COUNTED_OF_INCOMING = `
  SELECT notification_id, 1 AS has, ${unpack('c', ['created_day', 'version', ...SNAPSHOT_FIELDS])}
  FROM (SELECT notification_id, argMax(tuple(created_day, version, ${FIELDS}), tuple(version, live, created_at)) AS c
        FROM counted_notifications
        WHERE notification_id IN (SELECT notification_id FROM rollup_staged_snapshots WHERE cycle = {cycle: UInt64} AND sign = 0)
        GROUP BY notification_id)`;

const sideOf = (sign: number, alias: string) => `tuple(toInt8(${sign}), ${alias}.created_day, ${alias}.version, ${SNAPSHOT_FIELDS.map((f) => `${alias}.${f}`).join(', ')})`;

/** A created_at of 0: counted before migration 0007, which made created_at a snapshot field. */
const unknownCreatedAt = (column: string) => `toUnixTimestamp64Micro(${column}) = 0`;

/**
 * For each notification whose newest event beats its counted snapshot: the new one (+1) and the
 * old one (-1). The same event beats its own counted snapshot when that was counted without its
 * created_at and the source knows it (the one-off count of latency-fill.ts): every other fact
 * key is equal on both sides and cancels out, and the latency facts gain the notification.
 */
export const stageChangesSql = `
  INSERT INTO rollup_staged_snapshots (cycle, sign, notification_id, created_day, version, live, ${FIELDS})
  SELECT {cycle: UInt64}, side.1, notification_id, side.2, side.3, 1, ${SNAPSHOT_FIELDS.map((f, i) => `side.${i + 4}`).join(', ')}
  FROM (
    SELECT i.notification_id AS notification_id,
           arrayJoin(if(c.has = 1, [${sideOf(1, 'i')}, ${sideOf(-1, 'c')}], [${sideOf(1, 'i')}])) AS side
    FROM (SELECT * FROM rollup_staged_snapshots WHERE cycle = {cycle: UInt64} AND sign = 0) AS i
    LEFT JOIN (${COUNTED_OF_INCOMING}) AS c ON c.notification_id = i.notification_id
    WHERE c.has = 0 OR i.version > c.version OR (i.version = c.version AND ${unknownCreatedAt('c.created_at')} AND NOT ${unknownCreatedAt('i.created_at')})
  )`;

/** The source's newest despatch per letter, where it beats the counted one. */
export const stageDespatchesSql = (incoming: string) => `
  INSERT INTO rollup_staged_despatches (cycle, notification_id, version, despatched_on, cost_threshold)
  SELECT {cycle: UInt64}, i.notification_id, i.version, i.d.1, i.d.2
  FROM (${incoming}) AS i
  LEFT JOIN (SELECT notification_id, 1 AS has, max(version) AS version FROM counted_despatches
             WHERE notification_id IN (SELECT notification_id FROM (${incoming})) GROUP BY notification_id) AS c
    ON c.notification_id = i.notification_id
  WHERE c.has = 0 OR i.version > c.version`;

// ---------------------------------------------------------------------------------------------
// Contributions: signed snapshot rows -> signed fact rows.

/** Signed snapshot rows of a cycle (old -1, new +1). */
export const STAGED_CHANGES = `SELECT * FROM rollup_staged_snapshots WHERE cycle = {cycle: UInt64} AND sign != 0`;

/**
 * Every notification counted on {day} today, with sign +1 (a repair's target). FINAL keeps the
 * newest row of each notification in the day's partition (the table's version), which is a
 * live = 0 row when the notification has moved to another day since. FINAL must not merge
 * across partitions: a move writes the old day's tombstone and the new day's live row with the
 * same version, and merged together the tombstone could hide the live row (found by the
 * differential test, seed 20261205 path 5). Background merges never cross partitions, so the
 * query setting is all it takes (migration 0005 keeps the sorting key it landed with).
 */
export const COUNTED_ON_DAY = `
  SELECT toInt8(1) AS sign, notification_id, created_day, version, ${FIELDS}
  FROM counted_notifications FINAL
  WHERE created_day = {day: Date} AND live = 1
  SETTINGS do_not_merge_across_partitions_select_final = 1`;

export const statusContributionSql = (signed: string) => `
  SELECT created_day AS day, service_id, ifNull(template_id, ${ZERO_UUID}) AS template_id, ifNull(job_id, ${ZERO_UUID}) AS job_id,
         notification_type, key_type, status, toInt64(sign) AS notification_count
  FROM (${signed})`;

/**
 * Prices by day: {days} with their London midnights {midnights} (computed by @notify-stats/london,
 * the one place that knows London days). The rate in force is the one with the latest start at
 * or before midnight; none means 0.
 */
const SMS_RATE_BY_DAY = `
  SELECT d.1 AS day, argMax(r.rate, r.valid_from) AS rate
  FROM (SELECT arrayJoin(arrayZip({days: Array(Date)}, {midnights: Array(DateTime64(6, 'UTC'))})) AS d) AS dd
  CROSS JOIN (SELECT valid_from, rate FROM ${REF_SMS_RATES.name} FINAL) AS r
  WHERE r.valid_from <= d.2
  GROUP BY day`;

const LETTER_RATE_BY_DAY = `
  SELECT d.1 AS day, r.post_class AS post_class, r.sheet_count AS sheet_count, argMax(r.rate, r.start_date) AS rate
  FROM (SELECT arrayJoin(arrayZip({days: Array(Date)}, {midnights: Array(DateTime64(6, 'UTC'))})) AS d) AS dd
  CROSS JOIN (SELECT start_date, post_class, sheet_count, rate FROM ${REF_LETTER_RATES.name} FINAL) AS r
  WHERE r.start_date <= d.2
  GROUP BY day, post_class, sheet_count`;

/** The provider a snapshot is billed to and timed for (email: ses, letters: dvla, SMS: sent_by). */
const providerOf = (s: string) => `multiIf(${s}.notification_type = 'email', 'ses', ${s}.notification_type = 'letter', 'dvla', ifNull(${s}.sent_by, 'unknown'))`;

/** The billing key and signed counters of billable snapshots, priced for their day. */
export const billingContributionSql = (signed: string) => `
  SELECT s.created_day AS day, s.service_id AS service_id, ifNull(s.template_id, ${ZERO_UUID}) AS template_id,
         s.notification_type AS notification_type,
         ${providerOf('s')} AS provider,
         if(s.notification_type = 'sms', ifNull(s.rate_multiplier, 1), 1) AS rate_multiplier,
         ifNull(s.international, false) AS international,
         multiIf(s.notification_type = 'sms', ifNull(sr.rate, toDecimal128(0, 10)),
                 s.notification_type = 'letter', ifNull(lr.rate, toDecimal128(0, 10)),
                 toDecimal128(0, 10)) AS rate,
         if(s.notification_type = 'letter', ifNull(s.postage, ''), '') AS postage,
         if(s.notification_type = 'letter', s.billable_units, 0) AS sheets,
         toInt64(s.sign) AS notifications_sent,
         toInt64(s.sign) * toInt64(if(s.notification_type = 'email', 0, s.billable_units)) AS billable_units,
         toInt64(s.sign) * toInt64(if(s.notification_type = 'email', 0, s.billable_units)) * toInt64(rate_multiplier) AS chargeable_units
  FROM (SELECT * FROM (${signed}) WHERE key_type != 'test' AND (${BILLABLE})) AS s
  LEFT JOIN (${SMS_RATE_BY_DAY}) AS sr ON sr.day = s.created_day
  LEFT JOIN (${LETTER_RATE_BY_DAY}) AS lr
    ON lr.day = s.created_day AND lr.post_class = ifNull(s.postage, '') AND lr.sheet_count = s.billable_units`;

/**
 * The latency bucket of `latencyUs` (tables/delivery-latency.ts): the number of edges at or below
 * it. Closed form, not a count over the 193 edges: 8·log2(latency / 100 ms) counts the edges before
 * rounding, and the rounded edge on either side corrects it (rounding moves an edge by at most
 * 0.5 ms, and edges are at least 9 ms apart). Counting with arrayCount cost a window cycle 350 ms
 * under load, the dearest statement of the cycle (bench/results/freshness.json, rollup_steps_ms).
 * test/latency-buckets.test.ts checks it at every edge and next to it.
 */
const EDGE_COUNT = LATENCY_EDGES_MS.length;
const EDGES_US = `[${LATENCY_EDGES_MS.map((ms) => ms * 1000).join(', ')}]`;
export const latencyBucketSql = (latencyUs: string) => `
  toUInt16(c - if(c > 0 AND ${latencyUs} < edges[c], 1, 0) + if(c < ${EDGE_COUNT} AND ${latencyUs} >= edges[c + 1], 1, 0))`;
const approxEdges = (latencyUs: string) => `if(${latencyUs} < 100000, 0, least(${EDGE_COUNT}, toInt64(floor(8 * log2(${latencyUs} / 100000))) + 1))`;

/**
 * `rows` as `before, bucket, after`, the bucket of their column `latencyUs` between (in that
 * order: a fact's contribution is UNION ALL'd by position with its negated facts in a repair).
 */
export const withLatencyBucket = (rows: string, latencyUs: string, before: string, after?: string) => `
  WITH ${EDGES_US} AS edges
  SELECT ${before}, ${latencyBucketSql(latencyUs)} AS bucket${after ? `, ${after}` : ''}
  FROM (SELECT *, ${approxEdges(latencyUs)} AS c FROM (${rows}))`;

/**
 * Delivered snapshots (status delivered, not a test key, created_at known) by day, type, provider
 * and latency bucket: the updated_at in the version's top bits less created_at, in microseconds.
 */
export const latencyContributionSql = (signed: string) =>
  withLatencyBucket(
    `SELECT s.created_day AS day, s.notification_type AS notification_type, ${providerOf('s')} AS provider,
            toInt64(bitShiftRight(s.version, 136)) - toUnixTimestamp64Micro(s.created_at) AS latency_us, toInt64(s.sign) AS delivered
     FROM (SELECT * FROM (${signed}) WHERE status = 'delivered' AND key_type != 'test' AND NOT ${unknownCreatedAt('created_at')}) AS s`,
    'latency_us',
    'day, notification_type, provider',
    'delivered',
  );

// ---------------------------------------------------------------------------------------------
// Letters: a letter counts on its latest despatch day with its current snapshot's postage and
// sheets (not a test letter, postage known). Either half may change in a cycle.

const LETTER_SNAPSHOT = 'key_type, postage, billable_units';

/** Per touched letter: its despatch and snapshot before the cycle (o*) and after it (n*). */
const LETTERS_OF_CYCLE = `
  SELECT t.notification_id AS notification_id,
         od.has AS od_has, od.despatched_on AS od_day, od.cost_threshold AS od_threshold,
         if(nd.has = 1, 1, od.has) AS nd_has, if(nd.has = 1, nd.despatched_on, od.despatched_on) AS nd_day,
         if(nd.has = 1, nd.cost_threshold, od.cost_threshold) AS nd_threshold,
         if(ns.has = 1, os.has, cs.has) AS os_has, if(ns.has = 1, os.key_type, cs.key_type) AS os_key_type,
         if(ns.has = 1, os.postage, cs.postage) AS os_postage, if(ns.has = 1, os.billable_units, cs.billable_units) AS os_sheets,
         if(ns.has = 1, 1, cs.has) AS ns_has, if(ns.has = 1, ns.key_type, cs.key_type) AS ns_key_type,
         if(ns.has = 1, ns.postage, cs.postage) AS ns_postage, if(ns.has = 1, ns.billable_units, cs.billable_units) AS ns_sheets
  FROM (SELECT notification_id FROM rollup_staged_despatches WHERE cycle = {cycle: UInt64}
        UNION DISTINCT
        SELECT notification_id FROM rollup_staged_snapshots WHERE cycle = {cycle: UInt64} AND sign != 0 AND notification_type = 'letter') AS t
  LEFT JOIN (SELECT notification_id, 1 AS has, d.1 AS despatched_on, d.2 AS cost_threshold
             FROM (SELECT notification_id, argMax(tuple(despatched_on, cost_threshold), version) AS d FROM counted_despatches
                   WHERE notification_id IN (SELECT notification_id FROM rollup_staged_despatches WHERE cycle = {cycle: UInt64}
                                             UNION DISTINCT
                                             SELECT notification_id FROM rollup_staged_snapshots
                                             WHERE cycle = {cycle: UInt64} AND sign != 0 AND notification_type = 'letter')
                   GROUP BY notification_id)) AS od ON od.notification_id = t.notification_id
  LEFT JOIN (SELECT notification_id, 1 AS has, despatched_on, cost_threshold FROM rollup_staged_despatches
             WHERE cycle = {cycle: UInt64}) AS nd ON nd.notification_id = t.notification_id
  LEFT JOIN (SELECT notification_id, 1 AS has, s.1 AS key_type, s.2 AS postage, s.3 AS billable_units
             FROM (SELECT notification_id, argMax(tuple(${LETTER_SNAPSHOT}), tuple(version, live)) AS s FROM counted_notifications
                   WHERE notification_id IN (SELECT notification_id FROM rollup_staged_despatches WHERE cycle = {cycle: UInt64})
                   GROUP BY notification_id)) AS cs ON cs.notification_id = t.notification_id
  LEFT JOIN (SELECT notification_id, 1 AS has, ${LETTER_SNAPSHOT} FROM rollup_staged_snapshots
             WHERE cycle = {cycle: UInt64} AND sign = -1) AS os ON os.notification_id = t.notification_id
  LEFT JOIN (SELECT notification_id, 1 AS has, ${LETTER_SNAPSHOT} FROM rollup_staged_snapshots
             WHERE cycle = {cycle: UInt64} AND sign = 1) AS ns ON ns.notification_id = t.notification_id`;

/** Signed letter rows (sign, despatch day, postage, cost_threshold, sheets) of a cycle's touched letters. */
export const CYCLE_LETTERS = `
  SELECT side.1 AS sign, side.2 AS day, side.3 AS cost_threshold, side.4 AS key_type, side.5 AS postage, side.6 AS sheets
  FROM (
    SELECT arrayJoin([
             tuple(toInt8(-1), od_day, od_threshold, os_key_type, os_postage, os_sheets, od_has * os_has),
             tuple(toInt8(1), nd_day, nd_threshold, ns_key_type, ns_postage, ns_sheets, nd_has * ns_has)]) AS side
    FROM (${LETTERS_OF_CYCLE})
  )
  WHERE side.7 = 1`;

/** Every letter counted on despatch day {day} today, with sign +1 (a repair's target). */
export const LETTERS_DESPATCHED_ON_DAY = `
  SELECT toInt8(1) AS sign, d.despatched_on AS day, d.cost_threshold AS cost_threshold,
         s.1 AS key_type, s.2 AS postage, s.3 AS sheets
  FROM (SELECT notification_id, dd.1 AS despatched_on, dd.2 AS cost_threshold
        FROM (SELECT notification_id, argMax(tuple(despatched_on, cost_threshold), version) AS dd FROM counted_despatches
              WHERE notification_id IN (SELECT notification_id FROM counted_despatches WHERE despatched_on = {day: Date})
              GROUP BY notification_id)
        WHERE despatched_on = {day: Date}) AS d
  INNER JOIN (SELECT notification_id, argMax(tuple(${LETTER_SNAPSHOT}), tuple(version, live)) AS s FROM counted_notifications
              WHERE notification_id IN (SELECT notification_id FROM counted_despatches WHERE despatched_on = {day: Date})
              GROUP BY notification_id) AS l ON l.notification_id = d.notification_id`;

export const despatchContributionSql = (signedLetters: string) => `
  SELECT l.day AS day, assumeNotNull(l.postage) AS postage, l.cost_threshold AS cost_threshold, l.sheets AS sheets,
         ifNull(lr.rate, toDecimal128(0, 10)) AS rate, toInt64(l.sign) AS letters
  FROM (SELECT * FROM (${signedLetters}) WHERE key_type != 'test' AND postage IS NOT NULL) AS l
  LEFT JOIN (${LETTER_RATE_BY_DAY}) AS lr ON lr.day = l.day AND lr.post_class = l.postage AND lr.sheet_count = l.sheets`;

// ---------------------------------------------------------------------------------------------
// Fact rows: contributions (and, for a repair, the negated facts of today) summed per key.

/** A fact table's key columns (every column but its sums, in the table's order) and its sums. */
function fact<C extends Table['columns'], const S extends keyof C & string>(table: Table<C>, staged: string, sums: readonly S[]) {
  return { table: table.name, staged, keys: table.names.filter((n): n is Exclude<keyof C & string, S> => !(sums as readonly string[]).includes(n)), sums };
}

export const FACT_TABLES = {
  status: fact(FACT_NOTIFICATION_STATUS, 'rollup_staged_status', ['notification_count']),
  billing: fact(FACT_BILLING, 'rollup_staged_billing', ['notifications_sent', 'billable_units', 'chargeable_units']),
  despatch: fact(FACT_LETTER_DESPATCH, 'rollup_staged_despatch', ['letters']),
  latency: fact(FACT_DELIVERY_LATENCY, 'rollup_staged_latency', ['delivered']),
};
export type FactKind = keyof typeof FACT_TABLES;

/** Today's facts of {day}, negated: added to a day's target contributions, the sum is the correction. */
export const negatedFactsOfDay = (kind: FactKind) => {
  const f = FACT_TABLES[kind];
  return `SELECT ${f.keys.join(', ')}, ${f.sums.map((s) => `-${s} AS ${s}`).join(', ')} FROM ${f.table} WHERE day = {day: Date}`;
};

/** Sums the signed rows per fact key into the cycle's staged rows, dropping keys that did not move. */
export function stageFactsSql(kind: FactKind, rows: string): string {
  const f = FACT_TABLES[kind];
  const keys = f.keys.join(', ');
  return `
  INSERT INTO ${f.staged} (cycle, ${keys}, ${f.sums.join(', ')})
  SELECT {cycle: UInt64}, ${keys}, ${f.sums.map((s) => `sum(${s})`).join(', ')}
  FROM (${rows})
  GROUP BY ${keys}
  HAVING ${f.sums.map((s) => `sum(${s}) != 0`).join(' OR ')}`;
}

/** Copies a cycle's staged rows into the fact table, in one fixed order (see apply in cycle.ts). */
export function applyFactsSql(kind: FactKind): string {
  const f = FACT_TABLES[kind];
  const columns = [...f.keys, ...f.sums].join(', ');
  return `INSERT INTO ${f.table} (${columns}) SELECT ${columns} FROM ${f.staged} WHERE cycle = {cycle: UInt64} ORDER BY ${columns}`;
}

/** The cycle's new snapshots, and a live = 0 row in the old day of each notification that moved day. */
export const applyCountedSql = `
  INSERT INTO counted_notifications (notification_id, created_day, version, live, ${FIELDS})
  SELECT notification_id, created_day, version, 1, ${FIELDS} FROM rollup_staged_snapshots WHERE cycle = {cycle: UInt64} AND sign = 1
  UNION ALL
  SELECT o.notification_id, o.created_day, n.version, 0, ${SNAPSHOT_FIELDS.map((f) => `o.${f}`).join(', ')}
  FROM (SELECT * FROM rollup_staged_snapshots WHERE cycle = {cycle: UInt64} AND sign = -1) AS o
  INNER JOIN (SELECT notification_id, created_day, version FROM rollup_staged_snapshots WHERE cycle = {cycle: UInt64} AND sign = 1) AS n
    ON n.notification_id = o.notification_id
  WHERE o.created_day != n.created_day`;

export const applyCountedDespatchesSql = `
  INSERT INTO counted_despatches (notification_id, version, despatched_on, cost_threshold)
  SELECT notification_id, version, despatched_on, cost_threshold FROM rollup_staged_despatches WHERE cycle = {cycle: UInt64}`;

export const STAGED_TABLES = [
  'rollup_staged_snapshots',
  'rollup_staged_despatches',
  'rollup_staged_status',
  'rollup_staged_billing',
  'rollup_staged_despatch',
  'rollup_staged_latency',
] as const;

/** Days whose prices a cycle's staged rows need. */
export const CYCLE_DAYS = `
  SELECT DISTINCT toString(created_day) AS day FROM rollup_staged_snapshots WHERE cycle = {cycle: UInt64} AND sign != 0
  UNION DISTINCT
  SELECT DISTINCT toString(despatched_on) AS day FROM rollup_staged_despatches WHERE cycle = {cycle: UInt64}
  UNION DISTINCT
  SELECT DISTINCT toString(despatched_on) AS day FROM counted_despatches
  WHERE notification_id IN (SELECT notification_id FROM rollup_staged_snapshots WHERE cycle = {cycle: UInt64} AND sign != 0 AND notification_type = 'letter')`;

// ---------------------------------------------------------------------------------------------
// Repricing: a late rate moves the fact rows of the days it covers from the old price to the new.

const BILLING_COLUMNS = FACT_TABLES.billing.keys.join(', ');

/** Billing rows of {type} from {from} on, summed per key, with today's price for their day (`p_rate`). */
const billingWithPrice = (type: 'sms' | 'letter') => `
  SELECT f.*, p.rate AS p_rate
  FROM (SELECT ${BILLING_COLUMNS}, sum(notifications_sent) AS n, sum(billable_units) AS b, sum(chargeable_units) AS c
        FROM ${FACT_BILLING.name} WHERE day >= {from: Date} AND notification_type = '${type}'
        GROUP BY ${BILLING_COLUMNS} HAVING n != 0 OR b != 0 OR c != 0) AS f
  ${
    type === 'sms'
      ? `LEFT JOIN (${SMS_RATE_BY_DAY}) AS p ON p.day = f.day`
      : `LEFT JOIN (${LETTER_RATE_BY_DAY}) AS p ON p.day = f.day AND p.post_class = f.postage AND p.sheet_count = f.sheets`
  }`;

/**
 * Billing rows of one type from {from} on whose price is not today's price for their day, as a
 * -old row and a +new row. Convergent: run twice, the second run finds nothing to move.
 */
export const repriceBillingSql = (type: 'sms' | 'letter') => `
  SELECT day, service_id, template_id, notification_type, provider, rate_multiplier, international,
         arrayJoin([tuple(f_rate, -1), tuple(p_rate, 1)]) AS side, side.1 AS rate, postage, sheets,
         side.2 * n AS notifications_sent, side.2 * b AS billable_units, side.2 * c AS chargeable_units
  FROM (SELECT *, rate AS f_rate FROM (${billingWithPrice(type)})) WHERE p_rate != f_rate`;

/** Despatch rows from {from} on whose letter price is not today's, as -old/+new rows. */
export const repriceDespatchSql = `
  SELECT day, postage, cost_threshold, sheets, arrayJoin([tuple(f_rate, -1), tuple(p_rate, 1)]) AS side, side.1 AS rate,
         side.2 * n AS letters
  FROM (SELECT f.*, f.rate AS f_rate, p.rate AS p_rate
        FROM (SELECT day, postage, cost_threshold, sheets, rate, sum(letters) AS n FROM ${FACT_LETTER_DESPATCH.name} WHERE day >= {from: Date}
              GROUP BY day, postage, cost_threshold, sheets, rate HAVING n != 0) AS f
        LEFT JOIN (${LETTER_RATE_BY_DAY}) AS p ON p.day = f.day AND p.post_class = f.postage AND p.sheet_count = f.sheets)
  WHERE p_rate != f_rate`;
