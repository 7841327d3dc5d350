import { SINGLE_NODE, pendingDays, type ClickHouseClient, type PendingDay, type Topology } from '@notify-stats/clickhouse';
import type { Logger } from '@notify-stats/runtime';
import { buildDay, type BuildScope, type BuiltDay } from './builder.ts';
import { despatchNeighbours, expandMarks } from './expand.ts';
import { rollupMetrics } from './metrics.ts';
import { Staging } from './staging.ts';

// Expanding rate marks creates new marks; a few rounds settle any chain of them.
const MAX_ROUNDS = 4;

const isBuildScope = (m: PendingDay): m is PendingDay & { scope: BuildScope } => m.scope === 'day' || m.scope === 'despatch';

/**
 * Drains pending dirty days. Runs in this process are serialised, so two builds of one day never
 * interleave; a second process must not run a RollupRunner against the same database (run one
 * rollups service, and route backfills through it: see the CLI's `rollup` command).
 */
export class RollupRunner {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: ClickHouseClient,
    private readonly logger: Logger,
    private readonly topology: Topology = SINGLE_NODE,
  ) {}

  runPending(onBuilt?: (b: BuiltDay) => void): Promise<BuiltDay[]> {
    const run = this.tail.then(() => this.drain(onBuilt));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async drain(onBuilt?: (b: BuiltDay) => void): Promise<BuiltDay[]> {
    const built: BuiltDay[] = [];
    let staging: Staging | undefined;
    try {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        let pending = await pendingDays(this.client);
        if (round === 0) rollupMetrics.pendingDays.set(pending.length);
        if (await expandMarks(this.client, pending)) pending = await pendingDays(this.client);
        const toBuild = pending.filter(isBuildScope);
        if (toBuild.length === 0) break;
        const despatchDays = toBuild.filter((m) => m.scope === 'despatch').map((m) => m.day);
        const moved = (await despatchNeighbours(this.client, despatchDays)).filter((d) => !despatchDays.includes(d));
        const work = [...toBuild.map((m) => ({ scope: m.scope, day: m.day })), ...moved.map((day) => ({ scope: 'despatch' as const, day }))];
        // Newest days first: they are the ones people are looking at.
        work.sort((a, b) => (a.day < b.day ? 1 : a.day > b.day ? -1 : a.scope.localeCompare(b.scope)));
        staging ??= await Staging.create(this.client, this.topology);
        for (const { scope, day } of work) {
          const result = await buildDay(this.client, staging, scope, day);
          built.push(result);
          onBuilt?.(result);
        }
      }
    } finally {
      await staging?.drop().catch((err: unknown) => this.logger.warn({ err }, 'could not drop staging tables'));
    }
    if (built.length) {
      this.logger.debug({ days: built.length, ms: built.reduce((s, b) => s + b.durationMs, 0) }, 'rebuilt dirty days');
    }
    return built;
  }
}
