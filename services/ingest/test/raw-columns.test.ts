// One column of a status event lives in five places: the contract's zod schema, the fast decoder,
// the raw table's module, ingest's to-rows and the migrations' DDL. This file holds them equal:
// a field added to one and not the others fails here (or, for to-rows, in typecheck too).
// The DDL is read from a freshly migrated embedded engine (this file's own folder and process).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastStatusEvent, inboundSmsEvent, letterDespatchEvent, notificationStatusEvent } from '@notify-stats/events';
import {
  DESPATCH_CHANGES,
  FACT_BILLING,
  FACT_LETTER_DESPATCH,
  FACT_NOTIFICATION_STATUS_MONTH,
  FACT_BILLING_MONTH,
  FACT_NOTIFICATION_STATUS,
  INBOUND_SMS,
  NOTIFICATION_EVENTS,
  NOTIFICATION_EVENT_DERIVED,
  REFERENCE,
  RAW_TABLES,
  SNAPSHOT_FIELDS,
  insertRows,
  migrate,
  openClickhouse,
  queryRows,
  type Clickhouse,
  type AnyTable,
} from '@notify-stats/clickhouse';
import { notificationEventRow } from '../src/to-rows.ts';

// Every field of the contract set, none null, so that a field the decoder drops shows.
const SAMPLE = {
  event_id: '11111111-1111-4111-8111-111111111111',
  notification_id: '22222222-2222-4222-8222-222222222222',
  service_id: '33333333-3333-4333-8333-333333333333',
  template_id: '44444444-4444-4444-8444-444444444444',
  job_id: '55555555-5555-4555-8555-555555555555',
  notification_type: 'letter',
  key_type: 'normal',
  status: 'delivered',
  created_at: '2024-04-15T10:00:00Z',
  updated_at: '2024-04-15T10:05:00Z',
  billable_units: 2,
  rate_multiplier: 1,
  international: false,
  sent_by: 'dvla',
  postage: 'second',
};

const sorted = (xs: Iterable<string>) => [...xs].sort();
const contractFields = sorted(Object.keys(notificationStatusEvent.shape));

let dir: string;
let ch: Clickhouse;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'notify-stats-raw-columns-'));
  ch = await openClickhouse({ path: dir });
  await migrate(ch.client);
});

afterAll(async () => {
  await ch?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** name -> type of a table as the migrations left it. */
async function ddlColumns(table: string): Promise<Record<string, string>> {
  const rows = await queryRows<{ name: string; type: string }>(
    ch.client,
    'SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {table: String} ORDER BY position',
    { table },
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.type]));
}

const moduleColumns = (t: AnyTable) => Object.fromEntries(Object.entries(t.columns).map(([n, c]) => [n, c.type]));

describe('the status event, end to end', () => {
  it('the sample covers every field of the contract', () => {
    expect(sorted(Object.keys(SAMPLE))).toEqual(contractFields);
  });

  it('the fast decoder gives every field of the contract, as the zod schema does', () => {
    const fast = fastStatusEvent({ ...SAMPLE });
    expect(fast).not.toBeNull();
    expect(sorted(Object.keys(fast ?? {}))).toEqual(contractFields);
    expect(fast).toEqual(notificationStatusEvent.parse(SAMPLE));
  });

  it('the raw table module has a column per contract field, plus the columns ingest derives', () => {
    expect(sorted(NOTIFICATION_EVENTS.names)).toEqual(sorted([...contractFields, ...Object.keys(NOTIFICATION_EVENT_DERIVED)]));
  });

  it('to-rows fills exactly the module\'s columns, with values of the module\'s row type', () => {
    const row = notificationEventRow(notificationStatusEvent.parse(SAMPLE), { partition: 3, offset: '42' });
    expect(sorted(Object.keys(row))).toEqual(sorted(NOTIFICATION_EVENTS.names));
    expect(NOTIFICATION_EVENTS.row.strict().parse(row)).toEqual(row);
  });

  it('the migrations create the raw table with the module\'s columns and types, and accept its row', async () => {
    expect(await ddlColumns(NOTIFICATION_EVENTS.name)).toEqual(moduleColumns(NOTIFICATION_EVENTS));
    const row = notificationEventRow(notificationStatusEvent.parse(SAMPLE), { partition: 3, offset: '42' });
    await insertRows(ch.client, RAW_TABLES.notificationEvents, [row]);
    const back = await queryRows<{ n: number }>(ch.client, `SELECT count() AS n FROM ${NOTIFICATION_EVENTS.name} WHERE source_offset = 42`);
    expect(back).toEqual([{ n: 1 }]);
  });

  it('the rollups\' snapshot tables hold the snapshot fields with the raw table\'s types', async () => {
    const raw = moduleColumns(NOTIFICATION_EVENTS);
    const wanted = Object.fromEntries(SNAPSHOT_FIELDS.map((f) => [f, raw[f]]));
    for (const table of ['notification_changes', 'counted_notifications', 'rollup_staged_snapshots']) {
      expect(await ddlColumns(table), table).toMatchObject(wanted);
    }
  });
});

describe('the other raw tables', () => {
  // Written by hand: what ingest adds to each event (to-rows.ts); landed_at is the table's DEFAULT.
  it('despatch_changes: the despatch event\'s fields plus its Kafka position', () => {
    expect(sorted(DESPATCH_CHANGES.inserted)).toEqual(sorted([...Object.keys(letterDespatchEvent.shape), 'source_partition', 'source_offset']));
    expect(DESPATCH_CHANGES.names.filter((n) => !DESPATCH_CHANGES.inserted.includes(n))).toEqual(['landed_at']);
  });

  it('inbound_sms: the inbound event\'s fields plus the London day', () => {
    expect(sorted(INBOUND_SMS.names)).toEqual(sorted([...Object.keys(inboundSmsEvent.shape), 'created_day']));
  });
});

describe('every table module matches its DDL', () => {
  const modules: AnyTable[] = [
    NOTIFICATION_EVENTS,
    DESPATCH_CHANGES,
    INBOUND_SMS,
    FACT_NOTIFICATION_STATUS,
    FACT_BILLING,
    FACT_LETTER_DESPATCH,
    FACT_NOTIFICATION_STATUS_MONTH,
    FACT_BILLING_MONTH,
    ...Object.values(REFERENCE),
  ];
  it.each(modules.map((t) => [t.name, t] as const))('%s', async (name, t) => {
    expect(await ddlColumns(name)).toEqual(moduleColumns(t));
  });
});
