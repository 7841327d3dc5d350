import { compareDays, isIsoDay } from '@notify-stats/london';
import { LeaseHeldError, RollupRunner, backfill } from '@notify-stats/rollups';
import { createLogger, parseEnv } from '@notify-stats/runtime';
import { clientToken } from '../admin-token.ts';
import { openMigratedClickhouse } from '../connections.ts';
import { apiEnv } from '../env.ts';
import { printJson } from '../kafka-cli.ts';
import { apiBase } from '../pipeline-api.ts';
import { progressBar, type ProgressBar } from '../progress.ts';

export interface RollupOptions {
  from: string;
  to: string;
  json?: boolean;
  api?: string;
  /** Count the raw layer of the days again first. */
  fromRaw?: boolean;
}

type Outcome = { done: number; total: number } | 'no-pipeline' | 'no-rollups';

/**
 * Repairs a date range. The embedded engine belongs to one process, so when a pipeline is
 * running the command asks it over HTTP (its rollups service does the work between its own
 * cycles); when nothing answers it opens the storage and repairs in-process, as a runner that
 * must take the rollup lease first: with a rollups service running against the same server, it
 * stops and names that service instead of publishing beside it.
 */
export async function rollupCommand(opts: RollupOptions): Promise<void> {
  for (const [name, v] of [['--from', opts.from], ['--to', opts.to]] as const) {
    if (!isIsoDay(v)) throw new Error(`${name} must be a date YYYY-MM-DD (got ${v})`);
  }
  if (compareDays(opts.from, opts.to) > 0) throw new Error('--from must not be after --to');
  const env = parseEnv(apiEnv);
  const bar = progressBar('days');
  const base = apiBase(env, opts.api);
  const started = Date.now();
  // The result, whichever process rebuilt the days: scripts read it with --json.
  const report = (via: string, p: { done: number; total: number }) => {
    const result = { from: opts.from, to: opts.to, via, days: p.total, done: p.done, elapsedMs: Date.now() - started };
    if (opts.json) printJson(result);
    else process.stdout.write(`Rebuilt ${p.done} of ${p.total} day build(s) from ${opts.from} to ${opts.to} (${via}) in ${(result.elapsedMs / 1000).toFixed(1)} s.\n`);
  };
  const viaApi = await backfillViaApi(base, opts, env, bar);
  if (typeof viaApi === 'object') return report(base, viaApi);
  if (viaApi === 'no-rollups') {
    throw new Error(`the API at ${base} runs without the rollups service: run this command where the rollups service runs`);
  }
  const logger = createLogger('rollup');
  const ch = await openMigratedClickhouse(env, logger);
  try {
    const runner = new RollupRunner(ch.client, logger);
    let last = { done: 0, total: 0 };
    const done = backfill(runner, opts.from, opts.to, (p) => {
      last = { done: p.done, total: p.total };
      if (p.done === 0) bar.start(p.total);
      else bar.update(p.done, p.total);
    }, { fromRaw: Boolean(opts.fromRaw) });
    done.catch(() => undefined); // awaited below; runPending reports a failed slice first
    try {
      await runner.runPending();
      await done;
    } catch (err) {
      if (err instanceof LeaseHeldError) throw new Error(`no pipeline answered at ${base}, and ${err.message}`);
      throw err;
    } finally {
      await runner.release();
    }
    bar.stop();
    report('in-process', last);
  } finally {
    bar.stop();
    await ch.close();
  }
}

async function backfillViaApi(
  base: string,
  opts: RollupOptions,
  env: { OPERATOR_CLIENT_ID: string; OPERATOR_CLIENT_SECRET: string },
  bar: ProgressBar,
): Promise<Outcome> {
  let response: Response;
  try {
    const url = `${base}/admin/rollups/backfill?from=${encodeURIComponent(opts.from)}&to=${encodeURIComponent(opts.to)}&from_raw=${opts.fromRaw ? 'true' : 'false'}`;
    response = await fetch(url, {
      method: 'POST',
      // /admin/* takes the operator's credential; the report reader's is refused there.
      headers: { authorization: `Bearer ${await clientToken(env.OPERATOR_CLIENT_ID, env.OPERATOR_CLIENT_SECRET)}` },
    });
  } catch {
    return 'no-pipeline';
  }
  if (response.status === 503) return 'no-rollups';
  if (!response.ok || !response.body) throw new Error(`backfill refused: ${response.status} ${await response.text()}`);
  let buffered = '';
  let started = false;
  const last = { done: 0, total: 0 };
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += Buffer.from(chunk).toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffered.slice(0, nl)) as { done?: number; total?: number; error?: string };
        buffered = buffered.slice(nl + 1);
        if (line.error) throw new Error(line.error);
        if (line.total !== undefined && line.done !== undefined) {
          if (!started) {
            bar.start(line.total);
            started = true;
          }
          bar.update(line.done, line.total);
          Object.assign(last, { done: line.done, total: line.total });
        }
      }
    }
  } finally {
    bar.stop();
  }
  return last;
}
