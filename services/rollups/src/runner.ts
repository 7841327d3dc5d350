import { lastCycle, markFilled, markHandled, queryRows, takePendingMarks, type ClickHouseClient } from '@notify-stats/clickhouse';
import { financialYearOf } from '@notify-stats/london';
import type { RestatementReason } from '@notify-stats/events';
import type { Logger } from '@notify-stats/runtime';
import { CLEAR_EVERY, applyStaged, clearStaged, runCycle, type CycleHooks, type CyclePlan, type CycleResult } from './cycle.ts';
import { RollupLease } from './lease.ts';
import { rollupMetrics } from './metrics.ts';
import { changeLogEnds, nextWindow, positionsFromJson, positionsToJson, type Positions } from './positions.ts';
import { repricePending } from './reprice.ts';
import { checkRestatements, recheckDays, type RestatementOptions } from './restatements.ts';
import { checkAlerts, subjectsOfYears, type AlertOptions, type AlertSubject } from './alerts.ts';
import { daysAwaitingLatency } from './latency-fill.ts';
import { fillMonthsOnce, reconcileMonths } from './months.ts';
import { planDay, slicePlan, type RepairOptions, type RepairTask } from './repair.ts';

export interface RunnerOptions {
  /** Committed offsets of the ingest group (the end of the next window); default: the change logs' ends. */
  committed?: () => Promise<Positions>;
  /** Offsets per partition one cycle reads at most (a long stop is caught up in bounded cycles). */
  windowCap?: number;
  hooks?: CycleHooks;
  /** The lease that keeps a second runner from publishing; null only where one runner is certain (tests). */
  lease?: RollupLease | null;
  /** Publish restatements of final days (restatements.ts); none without. */
  restatements?: RestatementOptions;
  /** Publish allowance and spend alerts (alerts.ts); none without. */
  alerts?: AlertOptions;
  /**
   * Called in every run once the window's facts are applied (or there was nothing new), before the
   * run's repair slice and checks: where the service moves the freshness watermark, so that a
   * slice of a year's repair or a restatement check does not hold it back. Its failure is logged.
   */
  onWindowApplied?: () => Promise<void>;
}

export interface RunOnceResult {
  cycles: CycleResult[];
  repriced: number;
  /** Offsets the window cycle read (0: the facts had caught up with the commit). */
  windowSize: number;
  /** Whether the window stopped at the cap, so that more is already waiting. */
  capped: boolean;
  repairsLeft: number;
}

export interface RepairProgress {
  done: number;
  total: number;
  day?: string;
}

interface RepairJob {
  options: RepairOptions;
  done: number;
  days: string[];
  onProgress?: ((p: RepairProgress) => void) | undefined;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Keeps the facts equal to what is counted, cycle by cycle. Each `runOnce` (serialised in this
 * process, and across processes by the lease): finishes a cycle a crash left staged, re-prices
 * for late rates, runs one cycle over the window of new events, then one slice of any queued
 * repair, so a repair of a year never holds the window cycles back for longer than one slice.
 */
export class RollupRunner {
  private tail: Promise<unknown> = Promise.resolve();
  private processed: Positions | null = null;
  private nextCycle = 1;
  /** Repair work: a day to plan (its slices go to the front when it is planned), or a slice. */
  private readonly queue: Array<{ task: RepairTask | { kind: 'plan'; day: string }; job: RepairJob }> = [];
  private readonly lease: RollupLease | null;
  private readonly runnerName: string;
  /** Days whose facts moved since the last restatement check, and why. */
  private readonly touched = new Map<string, RestatementReason | null>();
  private lastRestatementCheck = Number.NEGATIVE_INFINITY;
  /** Services and years whose alerts may have moved since the last check; years whose every service's may have. */
  private readonly alertSubjects = new Map<string, AlertSubject>();
  private readonly alertYears = new Set<number>();
  /** Set by a start: every service with a threshold in any year is checked next. */
  private alertAllYears = false;
  private lastAlertCheck = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly logger: Logger,
    private readonly opts: RunnerOptions = {},
  ) {
    this.lease = opts.lease === undefined ? new RollupLease(client) : opts.lease;
    this.runnerName = this.lease?.holder ?? `pid ${process.pid}`;
  }

  /** Positions processed so far (null before the first run). */
  positions(): Positions | null {
    return this.processed && new Map(this.processed);
  }

  runOnce(committed?: Positions): Promise<RunOnceResult> {
    const run = this.tail.then(() => this.once(committed));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Runs until the window is empty and every queued repair is done. */
  async runPending(): Promise<RunOnceResult[]> {
    const results: RunOnceResult[] = [];
    for (;;) {
      const r = await this.runOnce();
      results.push(r);
      if (!r.capped && r.repairsLeft === 0) return results;
    }
  }

  /**
   * Queues a repair of every day in the list and resolves once it is done. The slices run
   * between window cycles: a service's loop drives them, or the caller through runPending().
   */
  repair(days: readonly string[], onProgress?: (p: RepairProgress) => void, options: RepairOptions = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      const job: RepairJob = { options, done: 0, days: [...days], onProgress, resolve, reject };
      onProgress?.({ done: 0, total: days.length });
      if (days.length === 0) return resolve();
      for (const day of days) this.queue.push({ task: { kind: 'plan', day }, job });
    });
  }

  async release(): Promise<void> {
    await this.lease?.release();
  }

  private ctx() {
    return { client: this.client, runner: this.runnerName, hooks: this.opts.hooks };
  }

  /**
   * Picks up where the last runner stopped: its staged cycle is applied, never recomputed; the
   * staged rows of its last cycles (dropped in batches) and of a next cycle it had begun to stage
   * are dropped, so that the next cycle stages into an empty partition.
   */
  private async recover(): Promise<void> {
    const last = await lastCycle(this.client);
    if (last?.phase === 'staged') {
      this.logger.info({ cycle: last.cycle, kind: last.kind }, 'applying a cycle a stopped runner left staged');
      await applyStaged(this.ctx(), last);
    }
    await clearStaged(this.ctx(), Math.max(1, (last?.cycle ?? 0) - CLEAR_EVERY + 1), (last?.cycle ?? 0) + 1);
    this.processed = positionsFromJson(last?.positions ?? '');
    this.nextCycle = (last?.cycle ?? 0) + 1;
    if (!last) await this.refillFromRawLayer();
    if (await fillMonthsOnce(this.client)) this.logger.info('filled the monthly sums from the daily facts');
    await this.fillLatency();
    // A change applied just before a stop was never checked: the recent final days are, now.
    // Alerts: every year with a threshold, which also finishes an alert a stop left unconfirmed.
    this.alertAllYears = true;
    const restatements = this.opts.restatements;
    if (restatements) {
      const days = new Map(recheckDays(restatements).map((d) => [d, null]));
      await rollupMetrics
        .timed('restatements', () => checkRestatements(this.client, days, restatements, { withBaselineOnly: true }))
        .catch((err: unknown) => this.logger.error({ err }, 'restatement re-check at start failed; the next start tries again'));
    }
  }

  private touchAlerts(c: CycleResult): void {
    if (!this.opts.alerts) return;
    const years = new Set(c.days.map(financialYearOf));
    for (const serviceId of c.services) for (const year of years) this.alertSubjects.set(`${serviceId}|${year}`, { serviceId, year });
  }

  /**
   * Checks the alerts of the services noted, of every service in the years noted, and of the years
   * whose thresholds changed (the ingest's `alert_thresholds` marks), at most every `checkEveryMs`.
   */
  private async checkAlerts(): Promise<void> {
    const opts = this.opts.alerts;
    if (!opts || performance.now() - this.lastAlertCheck < (opts.checkEveryMs ?? 10_000)) return;
    // Set first: a check that fails is tried again after the interval, not on every cycle.
    this.lastAlertCheck = performance.now();
    await rollupMetrics.timed('alerts', async () => {
      const changed = await takePendingMarks(this.client, ['alert_thresholds']);
      const years = this.alertAllYears ? 'all' : [...new Set([...this.alertYears, ...changed.marks.map((m) => financialYearOf(m.day))])];
      const subjects = [...this.alertSubjects.values(), ...(await subjectsOfYears(this.client, years))];
      const events = await checkAlerts(this.client, subjects, opts);
      await markHandled(this.client, changed);
      this.alertAllYears = false;
      this.alertSubjects.clear();
      this.alertYears.clear();
      if (events.length > 0) this.logger.info({ alerts: events.map((e) => `${e.service_id} ${e.financial_year} ${e.threshold} ${e.kind}`) }, 'published alerts');
    });
  }

  /** Notes days whose facts moved, and why (the first reason noted for a day is kept). */
  private touch(days: readonly string[], reason: RestatementReason | null): void {
    if (this.opts.restatements) for (const day of days) if (!this.touched.has(day)) this.touched.set(day, reason);
  }

  /**
   * Checks the final days among those noted for restatements (and the days just become final), at
   * most every `checkEveryMs`. A failed check keeps them for the next.
   */
  private async checkTouched(): Promise<void> {
    const opts = this.opts.restatements;
    if (!opts || performance.now() - this.lastRestatementCheck < (opts.checkEveryMs ?? 10_000)) return;
    this.lastRestatementCheck = performance.now();
    const events = await rollupMetrics.timed('restatements', () => checkRestatements(this.client, this.touched, opts));
    this.touched.clear();
    if (events.length > 0) this.logger.info({ days: events.map((e) => e.day) }, 'published restatements of final days');
  }

  /** Counts the delivery latency of history from before migration 0007 (latency-fill.ts), off the hot path. */
  private async fillLatency(): Promise<void> {
    const days = await daysAwaitingLatency(this.client);
    if (days === null) return;
    if (days.length > 0) this.logger.info({ days: days.length }, 'counting the delivery latency of history from the raw layer');
    void this.repair(days, undefined, { fromRaw: true })
      .then(() => markFilled(this.client, 'deliveryLatency'))
      .then(() => days.length > 0 && this.logger.info('delivery latency facts filled'))
      .catch((err: unknown) => this.logger.warn({ err }, 'delivery latency fill stopped; the next start resumes it'));
  }

  /**
   * Facts that were written before incremental rollups existed (migration 0005 emptied them), or
   * raw events that predate the change logs, are counted by repairing every day the raw layer
   * holds. On a new pipeline there is nothing to repair.
   */
  private async refillFromRawLayer(): Promise<void> {
    const rows = await queryRows<{ day: string }>(
      this.client,
      `SELECT DISTINCT toString(created_day) AS day FROM notification_events
       UNION DISTINCT SELECT DISTINCT toString(despatched_on) AS day FROM letter_despatches ORDER BY day`,
    );
    if (rows.length === 0) return;
    this.logger.info({ days: rows.length }, 'counting the raw layer from before the incremental rollups');
    void this.repair(rows.map((r) => r.day), undefined, { fromRaw: true }).catch(() => undefined);
  }

  private async cycle(plan: CyclePlan): Promise<CycleResult> {
    const started = performance.now();
    const result = await runCycle(this.ctx(), this.nextCycle, plan);
    this.nextCycle++;
    rollupMetrics.cycleSeconds.observe({ kind: plan.kind }, (performance.now() - started) / 1000);
    return result;
  }

  private async once(given?: Positions): Promise<RunOnceResult> {
    try {
      return await this.work(given);
    } catch (err) {
      // Whatever failed, the next run starts from the records: a cycle left staged is applied
      // with its own token, never staged again under a new one.
      this.processed = null;
      throw err;
    }
  }

  private async work(given?: Positions): Promise<RunOnceResult> {
    await rollupMetrics.timed('lease', async () => this.lease?.acquire());
    if (!this.processed) await this.recover();
    const repriced = await rollupMetrics.timed('reprice', () => repricePending(this.client));
    this.touch(repriced.days, 'late_rate');
    for (const day of repriced.days) this.alertYears.add(financialYearOf(day));
    const committed = given ?? (await (this.opts.committed ?? (() => changeLogEnds(this.client)))());
    const cap = this.opts.windowCap ?? 200_000;
    const window = nextWindow(this.processed ?? new Map(), committed, cap);
    const cycles: CycleResult[] = [];
    if (window.size > 0) {
      cycles.push(
        await this.cycle({
          kind: 'window',
          snapshots: window.snapshots,
          despatches: window.despatches,
          params: window.params,
          positions: positionsToJson(window.to),
        }),
      );
      this.processed = window.to;
    }
    await this.opts.onWindowApplied?.().catch((err: unknown) => this.logger.error({ err }, 'could not move the freshness watermark; the next run tries again'));
    const next = this.queue.shift();
    if (next) cycles.push(await this.repairSlice(next));
    const capped = [...window.to].some(([tp, to]) => (committed.get(tp) ?? 0) > to);
    for (const c of cycles) this.touch(c.days, c.kind === 'window' ? 'late_event' : 'repair');
    for (const c of cycles) this.touchAlerts(c);
    // The facts are applied: a check that fails (the broker away) is logged and tried again at the
    // next check with what it had noted, and never holds the cycles (and freshness) back.
    await this.checkTouched().catch((err: unknown) => this.logger.error({ err }, 'restatement check failed; retrying at the next check'));
    await this.checkAlerts().catch((err: unknown) => this.logger.error({ err }, 'alert check failed; retrying at the next check'));
    return { cycles, repriced: repriced.marks, windowSize: window.size, capped, repairsLeft: this.queue.length };
  }

  private async repairSlice(entry: (typeof this.queue)[number]): Promise<CycleResult> {
    const { job } = entry;
    try {
      let task = entry.task;
      if (task.kind === 'plan') {
        const [first, ...rest] = await planDay(this.client, task.day, job.options);
        this.queue.unshift(...rest.map((t) => ({ task: t, job })));
        task = first as RepairTask;
      }
      const result = await this.cycle(slicePlan(task, positionsToJson(this.processed ?? new Map())));
      if (task.kind === 'correct') {
        job.done++;
        const finished = job.done === job.days.length;
        // A repair is the moment to check the months of its days too (months.ts).
        if (finished) {
          const days = [...job.days].sort();
          await reconcileMonths(this.client, days[0] as string, days.at(-1) as string);
        }
        job.onProgress?.({ done: job.done, total: job.days.length, day: task.day });
        if (finished) job.resolve();
      }
      return result;
    } catch (err) {
      // The job fails as a whole: its other slices are dropped, and the caller hears why.
      for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]?.job === job) this.queue.splice(i, 1);
      job.reject(err);
      throw err;
    }
  }
}
