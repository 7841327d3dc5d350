// An HTTP load generator for the report benchmark: CONNECTIONS keep-alive connections (undici's
// Pool), each sending its next request as soon as the previous answer's body has arrived, for
// SECONDS or until AMOUNT answers; prints {p50, p99, first, requests, errors} as JSON (ms), where
// `first` is the first answer's latency: with one connection, the first request after whatever
// the server did before, which on this machine can be the slowest (docs/benchmarks.md section 3).
//
// Why not autocannon: its HTTP parser (http-parser-js) turns every body into a string, and a
// compressed body costs it milliseconds; on this machine autocannon could not take more than
// about 380 answers a second of a 143 KB gzip body from a bare node:http server, where undici takes
// about 9,700 (docs/benchmarks.md section 3), so it measured itself, not the server. Bodies are
// counted here, never decoded. Run it in its own process, so it does not share the server's
// event loop.
//
//   tsx bench/http-load.ts URL --connections 50 (--seconds 10 | --amount 50) [-H name=value ...]
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { latencySummary } from './lib.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    connections: { type: 'string', default: '1' },
    seconds: { type: 'string' },
    amount: { type: 'string' },
    header: { type: 'string', short: 'H', multiple: true, default: [] },
  },
});
const url = new URL(positionals[0] ?? '');
const connections = Number(values.connections);
const endAt = values.seconds ? performance.now() + Number(values.seconds) * 1000 : Infinity;
let toStart = values.amount ? Number(values.amount) : Infinity;
if (endAt === Infinity && toStart === Infinity) throw new Error('give --seconds or --amount');
const headers = Object.fromEntries(
  (values.header ?? []).map((h) => {
    const at = h.indexOf('=');
    return [h.slice(0, at), h.slice(at + 1)];
  }),
);

const pool = new Pool(url.origin, { connections, pipelining: 1 });
const latencies: number[] = [];
let errors = 0;
let firstError: string | undefined;

async function client(): Promise<void> {
  while (toStart > 0 && performance.now() < endAt) {
    toStart--;
    const started = performance.now();
    try {
      const { statusCode, body } = await pool.request({ path: url.pathname + url.search, method: 'GET', headers });
      for await (const chunk of body) void chunk;
      if (statusCode >= 200 && statusCode < 300) latencies.push(performance.now() - started);
      else {
        errors++;
        firstError ??= `HTTP ${statusCode}`;
      }
    } catch (err) {
      errors++;
      firstError ??= (err as Error).message;
    }
  }
}

await Promise.all(Array.from({ length: connections }, client));
await pool.close();
process.stdout.write(JSON.stringify({ ...latencySummary(latencies), requests: latencies.length, errors, ...(firstError ? { first_error: firstError } : {}) }));
