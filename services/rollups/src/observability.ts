import { Counter, Gauge } from 'prom-client';
import { metricsRegistry } from '@notify-stats/runtime';

/** What a rollup cycle reports when it ends (RollupsOptions.onCycle). */
export type CycleOutcome = { ok: true; at: number; ms: number } | { ok: false; at: number; error: unknown };

const lastSuccess = new Gauge({
  name: 'notify_stats_rollup_last_success_timestamp_seconds',
  help: 'Unix time at which the last rollup cycle succeeded (alert on time() minus this: it cannot look fresh while cycles fail)',
  registers: [metricsRegistry],
});
const failures = new Counter({
  name: 'notify_stats_rollup_cycle_failures_total',
  help: 'Rollup cycles that failed (each is retried at the next interval)',
  registers: [metricsRegistry],
});
const cycles = new Counter({
  name: 'notify_stats_rollup_cycles_total',
  help: 'Rollup cycles that succeeded',
  registers: [metricsRegistry],
});

/**
 * The rollups' own account of progress: the time of the last successful cycle, the failures since
 * start, and readiness meaning "cycles keep succeeding", not "the process is alive".
 */
export class RollupsObserver {
  private lastOkAt: number | null = null;
  private lastError: string | null = null;
  private readonly startedAt: number;

  constructor(
    /** A service whose last success is older than this is not ready. */
    private readonly staleAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  /** Pass as RollupsOptions.onCycle. */
  readonly onCycle = (outcome: CycleOutcome): void => {
    if (outcome.ok) {
      this.lastOkAt = outcome.at;
      this.lastError = null;
      lastSuccess.set(outcome.at / 1000);
      cycles.inc();
    } else {
      this.lastError = String((outcome.error as Error)?.message ?? outcome.error).slice(0, 300);
      failures.inc();
    }
  };

  /** For /readyz: true, or why not. */
  readonly readiness = (): true | string => {
    const since = this.lastOkAt ?? this.startedAt;
    const age = this.now() - since;
    if (this.lastOkAt !== null && age <= this.staleAfterMs) return true;
    if (this.lastOkAt === null && age <= this.staleAfterMs && !this.lastError) return 'no rollup cycle has finished yet';
    return `no successful rollup cycle for ${Math.round(age / 1000)} s${this.lastError ? `: ${this.lastError}` : ''}`;
  };

  lastSuccessAt(): string | null {
    return this.lastOkAt === null ? null : new Date(this.lastOkAt).toISOString();
  }
}
