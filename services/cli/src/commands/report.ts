import { parseEnv } from '@notify-stats/runtime';
import { clientToken } from '../admin-token.ts';
import { apiEnv } from '../env.ts';
import { apiBase } from '../pipeline-api.ts';

/** The reports by short name, as `notify-stats report <name>` takes them. */
export const REPORTS = {
  'platform-stats': '/platform-stats',
  billing: '/platform-stats/data-for-billing-report',
  'dvla-billing': '/platform-stats/data-for-dvla-billing-report',
  'daily-volumes': '/platform-stats/daily-volumes-report',
  'daily-sms-provider-volumes': '/platform-stats/daily-sms-provider-volumes-report',
  'volumes-by-service': '/platform-stats/volumes-by-service',
  'delivery-latency': '/platform-stats/delivery-latency-report',
} as const;

export type ReportName = keyof typeof REPORTS;

export interface ReportOptions {
  from?: string;
  to?: string;
  format?: 'json' | 'csv';
  api?: string;
}

/** The report's path with its query; the API checks the dates and answers the spec's 400 otherwise. */
export function reportPath(name: string, opts: ReportOptions): string {
  const path = (REPORTS as Record<string, string>)[name];
  if (!path) throw new Error(`unknown report ${name}: one of ${Object.keys(REPORTS).join(', ')}`);
  const query = new URLSearchParams();
  if (opts.from) query.set('start_date', opts.from);
  if (opts.to) query.set('end_date', opts.to);
  if (opts.format === 'csv') query.set('format', 'csv');
  const q = query.toString();
  return q ? `${path}?${q}` : path;
}

/**
 * Fetches one report from the running API as the report reader, with a token signed just now, and
 * writes the body as the API sent it to stdout (JSON or CSV); X-Data-As-Of goes to stderr.
 */
export async function reportCommand(name: string, opts: ReportOptions): Promise<void> {
  const path = reportPath(name, opts);
  const env = parseEnv(apiEnv);
  const base = apiBase(env, opts.api);
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${await clientToken(env.ADMIN_CLIENT_ID, env.ADMIN_CLIENT_SECRET)}` } });
  } catch {
    throw new Error(`no API answers at ${base} (start it with npm start, or pass --api)`);
  }
  // The bytes as sent: text() would drop the CSV's byte order mark, which spreadsheets need.
  const bytes = Buffer.from(await res.arrayBuffer());
  const body = bytes.toString('utf8');
  if (!res.ok) {
    const message = (() => {
      try {
        return (JSON.parse(body) as { message?: string }).message ?? body;
      } catch {
        return body;
      }
    })();
    throw new Error(`${name}: ${res.status} ${message}`);
  }
  process.stderr.write(`X-Data-As-Of: ${res.headers.get('x-data-as-of') ?? '-'}\n`);
  process.stdout.write(bytes);
  if (!body.endsWith('\n')) process.stdout.write('\n');
}
