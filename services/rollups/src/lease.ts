import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { STATE_KEYS, readState, serverNow, writeState, type ClickHouseClient } from '@notify-stats/clickhouse';
import { sleep } from '@notify-stats/runtime';

interface LeaseValue {
  owner: string;
  /** Where the holder runs, for the operator who meets the lease. */
  holder: string;
  host: string;
  pid: number;
  /** Server time (ms since the epoch) after which the lease may be taken over. */
  until: number;
}

/** A second runner met a live lease: it names the holder and when the lease runs out. */
export class LeaseHeldError extends Error {
  override name = 'LeaseHeldError';
  constructor(readonly holder: string, readonly until: Date) {
    super(
      `another rollup runner holds the lease (${holder}) until ${until.toISOString()}: ` +
        'run one rollups service and send backfills to it (notify-stats rollup --api ...), or wait for the lease to run out',
    );
  }
}

/** A holder on this machine whose process is gone (killed, crashed) need not be waited for. */
function diedOnThisHost(lease: LeaseValue): boolean {
  if (lease.host !== hostname() || !Number.isInteger(lease.pid)) return false;
  try {
    process.kill(lease.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

const serverMs = async (client: ClickHouseClient) => Date.parse(`${(await serverNow(client)).replace(' ', 'T')}Z`);

/**
 * At most one rollup runner publishes at a time. The lease is a row in pipeline_state (newest
 * write wins), renewed every cycle and checked before every cycle. The engine has no
 * compare-and-set, so a taker writes, waits `settleMs` (longer than any write takes to become
 * visible) and reads back: of two runners that took a free lease at the same moment, only the
 * one whose write is newest reads itself back.
 */
export class RollupLease {
  readonly owner = randomUUID();
  readonly holder = `pid ${process.pid} on ${hostname()}`;
  private held = false;
  /** performance.now() of the last write: a held lease is renewed once a third of its time has gone. */
  private renewedAt = -Infinity;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly ttlMs = 30_000,
    private readonly settleMs = 500,
  ) {}

  private async read(): Promise<LeaseValue | null> {
    const value = await readState(this.client, STATE_KEYS.rollupLease);
    return value ? (JSON.parse(value) as LeaseValue) : null;
  }

  private write(until: number): Promise<void> {
    const value: LeaseValue = { owner: this.owner, holder: this.holder, host: hostname(), pid: process.pid, until };
    return writeState(this.client, STATE_KEYS.rollupLease, JSON.stringify(value));
  }

  /**
   * Takes or renews the lease; throws LeaseHeldError while another runner holds it. A lease held
   * and written less than a third of its time ago is still ours without asking the engine: no
   * runner takes a lease before it runs out. (Renewing on every cycle cost three statements a
   * cycle, about 170 ms under load.)
   */
  async acquire(): Promise<void> {
    if (this.held && performance.now() - this.renewedAt < this.ttlMs / 3) return;
    const now = await serverMs(this.client);
    const current = await this.read();
    if (current && current.owner !== this.owner && current.until > now && !diedOnThisHost(current)) {
      this.held = false;
      throw new LeaseHeldError(current.holder, new Date(current.until));
    }
    const writing = performance.now();
    await this.write(now + this.ttlMs);
    this.renewedAt = writing;
    if (!this.held) {
      await sleep(this.settleMs);
      const after = await this.read();
      if (after?.owner !== this.owner) throw new LeaseHeldError(after?.holder ?? 'unknown', new Date(after?.until ?? now));
      this.held = true;
    }
  }

  /** Gives the lease up (it runs out on its own if the process dies). */
  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    this.renewedAt = -Infinity;
    const current = await this.read();
    if (current?.owner === this.owner) await this.write(0);
  }
}
