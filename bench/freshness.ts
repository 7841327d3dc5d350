// Freshness under load: the whole pipeline in this process, the load generator at a steady rate,
// and a reader polling a report's X-Data-As-Of. For instants t sampled during the load, the delay is
// the time at which X-Data-As-Of first passed t, minus t: how long an event produced at t waits
// before every report includes it.
import { createKafka } from '@notify-stats/kafka';
import { produce } from '@notify-stats/loadgen';
import { createLogger } from '@notify-stats/runtime';
import { startTestBroker } from '../test/support/broker.ts';
import { startPipeline } from '../test/support/pipeline.ts';
import { benchArgs, load, log, machine, percentile, round, sleep, writeResult } from './lib.ts';

const args = benchArgs({ rate: { type: 'string' }, seconds: { type: 'string' } });
const RATE = Number(args.rate ?? 10_000);
const SECONDS = Number(args.seconds ?? (args.quick ? 10 : 60));

const loadAtStart = load();
const broker = await startTestBroker();
const p = await startPipeline(broker.brokers);
log(`freshness: ${RATE} events/s for ${SECONDS} s`);
const samples: number[] = [];
const seen: Array<{ at: number; asOf: number }> = [];
let producing = true;
const reader = (async () => {
  while (producing || seen.length === 0 || seen.at(-1)!.asOf < samples.at(-1)!) {
    const asOf = Date.parse(String((await p.get('/platform-stats')).headers['x-data-as-of']));
    if (Number.isFinite(asOf)) seen.push({ at: Date.now(), asOf });
    await sleep(100);
  }
})();
const sampler = setInterval(() => samples.push(Date.now()), 250);
const logger = createLogger('bench');
logger.level = 'error';
const run = await produce(createKafka(broker.brokers, 'bench-freshness', logger), {
  rate: RATE,
  duration: SECONDS,
  days: 3,
  services: 200,
  seed: 11,
  lateFraction: 0.02,
  duplicateFraction: 0.01,
});
clearInterval(sampler);
producing = false;
await reader;
const delays = samples
  .map((t) => {
    const first = seen.find((s) => s.asOf >= t);
    return first ? first.at - t : NaN;
  })
  .filter(Number.isFinite)
  .sort((a, b) => a - b);
const result = {
  machine: machine(),
  load_at_start: loadAtStart,
  input: { rate: RATE, seconds: SECONDS, produced: run.acknowledged, achieved_rate: round(run.messagesPerSecond) },
  samples: delays.length,
  freshness_ms: { p50: percentile(delays, 50), p95: percentile(delays, 95), p99: percentile(delays, 99), max: delays.at(-1) ?? null },
};
writeResult(`freshness${args.quick ? '.quick' : ''}`, result);
log(JSON.stringify(result.freshness_ms));
await p.stop();
await broker.stop();
