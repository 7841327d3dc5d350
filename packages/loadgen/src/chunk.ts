// One chunk of the stream: the notifications created in one slice of one London day, generated
// from the chunk's own random stream, with an exact message budget.
import { TOPICS } from '@notify-stats/events';
import { Rng, type WeightedTable } from './ids.ts';
import { invalidMessage } from './invalid.ts';
import { buildLifecycle, instantIn, type Lifecycle } from './lifecycles.ts';
import { message, type LoadMessage } from './message.ts';
import type { ResolvedOptions } from './options.ts';
import { murmur2 } from './partition.ts';
import type { ServiceTraffic } from './reference-data.ts';
import type { Serialiser } from './serialise.ts';

export interface ChunkPlan {
  /** Position in the stream; also names the chunk's random streams. */
  index: number;
  day: string;
  /** Creation times fall in [from, to) of the day (fractions of its length). */
  from: number;
  to: number;
  /** Status and despatch messages, duplicate copies included. */
  budget: number;
  invalid: number;
}

/** Upper bound of notifications in a chunk, so that `index * MAX + i` numbers every notification. */
export const MAX_CHUNK_MESSAGES = 1000;
const DUPLICATE_DELAY_MS = 120_000;
// Random stream ids per chunk (ids.ts STREAMS are below 100).
const EVENTS_STREAM = (index: number) => 1000 + 2 * index;
const INVALID_STREAM = (index: number) => 1001 + 2 * index;

export interface ChunkContext {
  options: ResolvedOptions;
  services: WeightedTable<ServiceTraffic>;
  traffic: readonly ServiceTraffic[];
  ser: Serialiser;
  /** Late messages are appended here (the stream produces them last). */
  late: LoadMessage[];
}

/**
 * The chunk's messages sorted by time, invalid ones mixed in. When the budget runs out inside a
 * lifecycle, that notification stops at the status it reached.
 */
export function chunkMessages(plan: ChunkPlan, cx: ChunkContext): LoadMessage[] {
  const { options: o, ser, late } = cx;
  const rng = new Rng(o.seed, EVENTS_STREAM(plan.index));
  let budget = plan.budget;
  const chunk: LoadMessage[] = [];

  const place = (m: LoadMessage, isLate: boolean) => {
    m.late = isLate;
    if (isLate) {
      // Held a long time: a compact copy, so the block it was written in can be freed.
      m.key = ser.keep(m.key);
      m.value = ser.keep(m.value);
    }
    const into = isLate ? late : chunk;
    into.push(m);
    if (budget > 0 && rng.chance(o.duplicateFraction)) {
      budget--;
      into.push({ ...m, copy: true, time: m.time + rng.int(0, DUPLICATE_DELAY_MS) });
    }
  };
  const emit = (lc: Lifecycle) => {
    const key = ser.key(rng);
    lc.keyHash = murmur2(key);
    const head = ser.head(lc, key, lc.templateId, lc.jobId);
    let step = 0;
    for (; step < lc.statuses.length && budget > 0; step++) {
      const m = message(TOPICS.notificationStatus, key, ser.status(lc, head, step, rng), 'status', lc.times[step]!, lc.keyHash);
      m.lifecycle = lc;
      m.step = step;
      budget--;
      place(m, step > 0 && rng.chance(o.lateFraction));
    }
    if (step < lc.statuses.length) {
      lc.statuses.length = lc.times.length = step;
      lc.despatch = null;
    } else if (lc.despatch && budget > 0) {
      const m = message(TOPICS.letterDespatch, key, ser.despatch(lc, key, rng), 'despatch', lc.despatch.time, lc.keyHash);
      m.lifecycle = lc;
      budget--;
      place(m, false);
    } else {
      lc.despatch = null;
    }
  };

  for (let i = 0; budget > 0; i++) {
    const created = instantIn(rng, plan.day, plan.from, plan.to);
    emit(buildLifecycle(rng, plan.index * MAX_CHUNK_MESSAGES + i, plan.day, created, rng.weighted(cx.services)));
  }
  chunk.sort((a, b) => a.time - b.time);
  if (plan.invalid === 0) return chunk;

  // Invalid messages at random places among the chunk's.
  const bad = new Rng(o.seed, INVALID_STREAM(plan.index));
  const at = Array.from({ length: plan.invalid }, () => bad.int(0, chunk.length)).sort((a, b) => a - b);
  const out: LoadMessage[] = [];
  let next = 0;
  for (let i = 0; i <= chunk.length; i++) {
    for (; next < at.length && at[next] === i; next++) out.push(invalidMessage(bad, cx.traffic, plan.day));
    if (i < chunk.length) out.push(chunk[i]!);
  }
  return out;
}
