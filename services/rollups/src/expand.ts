import { markDirty, queryRows, recordBuilds, serverNow, type ClickHouseClient, type DirtyMark, type PendingDay } from '@notify-stats/clickhouse';

/**
 * Turns marks that do not name a day to build into marks that do:
 * - a rate published from day D re-prices every known day (and despatch day) from D on;
 * - letters created on D changed, so the despatch days of those letters are rebuilt.
 * The expansion is recorded like a build, so it runs once per mark.
 */
export async function expandMarks(client: ClickHouseClient, pending: readonly PendingDay[]): Promise<number> {
  const derived: DirtyMark[] = [];
  const handled: PendingDay[] = [];
  for (const mark of pending) {
    if (mark.scope === 'sms_rate' || mark.scope === 'letter_rate') {
      const scopes = mark.scope === 'sms_rate' ? ['day'] : ['day', 'despatch'];
      // `dirty_days` knows every day that ever had events: far smaller than scanning the raw layer.
      const days = await queryRows<{ scope: 'day' | 'despatch'; known_day: string }>(
        client,
        `SELECT DISTINCT scope, toString(day) AS known_day FROM dirty_days
         WHERE scope IN {scopes: Array(String)} AND day >= {from: Date}`,
        { scopes, from: mark.day },
      );
      derived.push(...days.map((d) => ({ scope: d.scope, day: d.known_day })));
      handled.push(mark);
    } else if (mark.scope === 'letters') {
      const days = await queryRows<{ day: string }>(
        client,
        `SELECT DISTINCT toString(despatched_on) AS day FROM letter_despatches
         WHERE notification_id IN (SELECT notification_id FROM letter_events WHERE created_day = {day: Date})`,
        { day: mark.day },
      );
      derived.push(...days.map((d) => ({ scope: 'despatch' as const, day: d.day })));
      handled.push(mark);
    }
  }
  if (handled.length === 0) return 0;
  const startedAt = await serverNow(client);
  await markDirty(client, derived);
  await recordBuilds(
    client,
    handled.map((m) => ({ scope: m.scope, day: m.day, started_at: startedAt, finished_at: startedAt, rows: 0, duration_ms: 0 })),
  );
  return derived.length;
}

/** Other despatch days of the letters despatched on these days: a newer despatch moves a letter between days. */
export async function despatchNeighbours(client: ClickHouseClient, days: readonly string[]): Promise<string[]> {
  if (days.length === 0) return [];
  const rows = await queryRows<{ day: string }>(
    client,
    `SELECT DISTINCT toString(despatched_on) AS day FROM letter_despatches
     WHERE notification_id IN (SELECT notification_id FROM letter_despatches WHERE despatched_on IN {days: Array(Date)})`,
    { days },
  );
  return rows.map((r) => r.day);
}
