// Sessions of the embedded engine (Clickhouse.session): the pipeline gives the ingest's writes
// and the rollups' cycles a session each, because one session runs one query at a time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openClickhouse, queryRows, type ClickHouseClient, type Clickhouse } from '../src/client.ts';

const dirs: string[] = [];
const newDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'notify-stats-sessions-'));
  dirs.push(dir);
  return dir;
};
let ch: Clickhouse;
beforeAll(async () => {
  ch = await openClickhouse({ path: newDir() });
});
afterAll(async () => {
  await ch?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const LONG_QUERY = 'SELECT sleep(2) AS slept_in_the_session_test';

/**
 * Whether `observer` saw LONG_QUERY running while it ran on `runner`: asks the engine's process
 * list until it sees it or the query has ended. Where the two queue behind each other, the
 * observer's first look comes after the end.
 */
async function seenRunning(runner: ClickHouseClient, observer: ClickHouseClient): Promise<boolean> {
  let ended = false;
  const long = queryRows(runner, LONG_QUERY).finally(() => (ended = true));
  try {
    while (!ended) {
      const [row] = await queryRows<{ n: number }>(observer, `SELECT count() AS n FROM system.processes WHERE startsWith(query, {q: String})`, { q: LONG_QUERY });
      if (row && row.n > 0) return true;
    }
    return false;
  } finally {
    await long;
  }
}

describe('Clickhouse.session on the embedded engine', () => {
  it('sees the same tables as the first session, both ways', async () => {
    const other = ch.session();
    await ch.client.command({ query: 'CREATE TABLE shared (n UInt32) ENGINE = MergeTree ORDER BY n' });
    await ch.client.command({ query: 'INSERT INTO shared VALUES (1)' });
    await other.command({ query: 'INSERT INTO shared VALUES (2)' });
    expect(await queryRows(other, 'SELECT n FROM shared ORDER BY n')).toEqual([{ n: 1 }, { n: 2 }]);
    expect(await queryRows(ch.client, 'SELECT n FROM shared ORDER BY n')).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('runs its queries while another session is running one, where one session runs one at a time', async () => {
    // Why the pipeline needs sessions: a query waits for the one its session is running.
    expect(await seenRunning(ch.client, ch.client)).toBe(false);
    expect(await seenRunning(ch.client, ch.session())).toBe(true);
  });

  it('is closed with the engine: another folder can be opened afterwards', async () => {
    // The embedded engine holds one folder per process while any of its sessions is open.
    await ch.close();
    const first = await openClickhouse({ path: newDir() });
    expect(await queryRows(first.session(), 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await first.close();
    const next = await openClickhouse({ path: newDir() });
    try {
      expect(await queryRows(next.client, 'SELECT 2 AS two')).toEqual([{ two: 2 }]);
    } finally {
      await next.close();
    }
  });
});
