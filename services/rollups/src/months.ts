import { MONTHLY_FACTS, isFilled, markFilled, type ClickHouseClient } from '@notify-stats/clickhouse';

// The monthly sums (migration 0006) follow the daily facts through views, in the same INSERT.
// Two things can leave them out of step: history written before the views existed, and a
// process killed inside one INSERT after the daily part was committed and before the view's.
// A cycle's apply is retried with its token, which deduplicates the daily block and lets the
// view's through (cycle.ts), but a late rate's move has no token: run again, it finds the days
// moved and writes nothing, and the month stays short until a repair covers it. Reconciling
// adds to each month the difference between its days and its sums, so it is convergent: run
// twice, the second run adds nothing, and a crash half-way is finished by the next run.
// It runs in the runner, between cycles, so no cycle writes while it reads.

type Pair = (typeof MONTHLY_FACTS)[keyof typeof MONTHLY_FACTS];

function reconcileSql(pair: Pair): string {
  const sums: readonly string[] = pair.sums;
  const keys = pair.month.names.filter((n) => n !== 'month' && !sums.includes(n));
  const list = ['month', ...keys, ...sums].join(', ');
  const group = ['month', ...keys].join(', ');
  return `INSERT INTO ${pair.month.name} (${list})
    SELECT ${group}, ${sums.map((s) => `sum(d_${s}) AS ${s}`).join(', ')}
    FROM (
      SELECT toStartOfMonth(day) AS month, ${keys.join(', ')}, ${sums.map((s) => `${s} AS d_${s}`).join(', ')}
      FROM ${pair.day.name}
      WHERE toStartOfMonth(day) BETWEEN toStartOfMonth({from: Date}) AND toStartOfMonth({to: Date})
      UNION ALL
      SELECT month, ${keys.join(', ')}, ${sums.map((s) => `-${s} AS d_${s}`).join(', ')}
      FROM ${pair.month.name}
      WHERE month BETWEEN toStartOfMonth({from: Date}) AND toStartOfMonth({to: Date})
    )
    GROUP BY ${group}
    HAVING ${sums.map((s) => `${s} != 0`).join(' OR ')}`;
}

/** Sets the monthly sums of every month from `from`'s to `to`'s to the sums of their days. */
export async function reconcileMonths(client: ClickHouseClient, from: string, to: string): Promise<void> {
  for (const pair of Object.values(MONTHLY_FACTS)) {
    await client.command({ query: reconcileSql(pair), query_params: { from, to } });
  }
}

/**
 * ClickHouse's Date range: every month facts can have. (Its last month ends past the last Date,
 * so the SQL compares months, never last days of months, which would wrap round.)
 */
const ALL_MONTHS = { from: '1970-01-01', to: '2149-06-06' } as const;

/**
 * The first start after migration 0006: the monthly sums are set from the daily facts (the views
 * only see writes made after they were created), then marked filled, after which the API reads
 * them (until then it reads days alone, so no report sees a month half filled). A start cut short
 * before the mark does it again: reconciling is convergent.
 */
export async function fillMonthsOnce(client: ClickHouseClient): Promise<boolean> {
  if (await isFilled(client, 'monthlySums')) return false;
  await reconcileMonths(client, ALL_MONTHS.from, ALL_MONTHS.to);
  await markFilled(client, 'monthlySums');
  return true;
}
