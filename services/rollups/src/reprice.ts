import { markHandled, queryRows, takePendingMarks, type ClickHouseClient } from '@notify-stats/clickhouse';
import { FACT_TABLES, repriceBillingSql, repriceDespatchSql } from './snapshot-sql.ts';
import { priceDays } from './cycle.ts';

const RATE_SCOPES = ['sms_rate', 'letter_rate'] as const;

async function daysFrom(client: ClickHouseClient, table: string, from: string): Promise<string[]> {
  const rows = await queryRows<{ d: string }>(client, `SELECT DISTINCT toString(day) AS d FROM ${table} WHERE day >= {from: Date}`, { from });
  return rows.map((r) => r.d);
}

async function insertMoves(client: ClickHouseClient, table: string, columns: readonly string[], select: string, params: Record<string, unknown>) {
  // Convergent, so it needs no single part: after a partial write the next run moves the rest.
  const list = columns.join(', ');
  await client.command({
    query: `INSERT INTO ${table} (${list}) SELECT ${list} FROM (${select}) ORDER BY ${list}`,
    query_params: params,
  });
}

/**
 * A rate published from day D changes the price of every fact row from D on: those rows move
 * from their old price to today's, read from the facts themselves (never the raw layer). The
 * move is convergent: run again, it finds nothing to move, so a crash before the mark is recorded
 * handled costs a second (empty) run, never a double count. A mark is handled by a run that
 * started after it was written (the rates it stands for were stored before it). Returns how many
 * marks were handled and the days whose facts were priced again (restatements.ts).
 */
export async function repricePending(client: ClickHouseClient): Promise<{ marks: number; days: string[] }> {
  const pending = await takePendingMarks(client, RATE_SCOPES);
  const { marks } = pending;
  if (marks.length === 0) return { marks: 0, days: [] };
  const priced: string[] = [];
  const earliest = (scope: string) => marks.filter((m) => m.scope === scope).map((m) => m.day).sort()[0];
  const sms = earliest('sms_rate');
  const letter = earliest('letter_rate');
  const billing = FACT_TABLES.billing;
  const despatch = FACT_TABLES.despatch;
  if (sms) {
    const params = { from: sms, ...priceDays(await daysFrom(client, billing.table, sms)) };
    priced.push(...params.days);
    await insertMoves(client, billing.table, [...billing.keys, ...billing.sums], repriceBillingSql('sms'), params);
  }
  if (letter) {
    const params = { from: letter, ...priceDays([...(await daysFrom(client, billing.table, letter)), ...(await daysFrom(client, despatch.table, letter))]) };
    priced.push(...params.days);
    await insertMoves(client, billing.table, [...billing.keys, ...billing.sums], repriceBillingSql('letter'), params);
    await insertMoves(client, despatch.table, [...despatch.keys, ...despatch.sums], repriceDespatchSql, params);
  }
  await markHandled(client, pending);
  return { marks: marks.length, days: [...new Set(priced)].sort() };
}
