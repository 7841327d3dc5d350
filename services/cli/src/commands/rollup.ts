import { compareDays, isIsoDay } from '@notify-stats/london';
import { LeaseHeldError, RollupRunner, backfill } from '@notify-stats/rollups';
import { createLogger, parseEnv } from '@notify-stats/runtime';
import { clientToken } from '../admin-token.ts';
import { openMigratedClickhouse } from '../connections.ts';
import { apiEnv } from '../env.ts';
import { progressBar } from '../progress.ts';

export interface RollupOptions {
  from: string;
  to: string;
  json?: boolean;
  api?: string;
}

type Outcome = 'done' | 'no-pipeline' | 'no-rollups';

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
  const bar = progressBar('days', Boolean(opts.json));
  const base = opts.api ?? `http://127.0.0.1:${env.PORT}`;
  const viaApi = await backfillViaApi(base, opts, env, bar);
  if (viaApi === 'done') return;
  if (viaApi === 'no-rollups') {
    throw new Error(`the API at ${base} runs without the rollups service: run this command where the rollups service runs`);
  }
  const logger = createLogger('rollup');
  const ch = await openMigratedClickhouse(env, logger);
  try {
    const runner = new RollupRunner(ch.client, logger);
    const done = backfill(runner, opts.from, opts.to, (p) => (p.done === 0 ? bar.start(p.total) : bar.update(p.done, p.total)));
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
  } finally {
    bar.stop();
    await ch.close();
  }
}

async function backfillViaApi(
  base: string,
  opts: RollupOptions,
  env: { OPERATOR_CLIENT_ID: string; OPERATOR_CLIENT_SECRET: string },
  bar: ReturnType<typeof progressBar>,
): Promise<Outcome> {
  let response: Response;
  try {
    const url = `${base}/admin/rollups/backfill?from=${encodeURIComponent(opts.from)}&to=${encodeURIComponent(opts.to)}`;
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
        }
      }
    }
  } finally {
    bar.stop();
  }
  return 'done';
}
