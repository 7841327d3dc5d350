export { generate, type LoadGeneration, type Shard } from './generator.ts';
export { resolveOptions, LoadgenOptionsError, LIMITS, type LoadgenOptions, type ResolvedOptions } from './options.ts';
export { INVALID_KINDS, type InvalidKind, type LoadMessage, type MessageKind } from './message.ts';
export type { Lifecycle } from './lifecycles.ts';
export type { ReferenceSummary, ServiceInfo } from './reference-data.ts';
export { mergeTallies } from './tally-merge.ts';
export {
  TallyBuilder,
  type Tally,
  type DayTally,
  type TypeDayTally,
  type StatusCounts,
  type LetterTally,
  type DespatchTally,
  type BillingFactTally,
} from './tally.ts';
export {
  expectedPlatformStats,
  expectedDailyVolumes,
  type PlatformStatsBody,
  type PlatformStatsCounts,
  type DailyVolumesRow,
} from './expected-reports.ts';
export { produce, ProduceError, type ProduceOptions, type ProduceProgress, type ProduceResult } from './producer.ts';
export { TokenBucket } from './rate-limiter.ts';
export { formatTally } from './format.ts';

import { generate } from './generator.ts';
import type { LoadgenOptions } from './options.ts';
import { TallyBuilder } from './tally.ts';

/** The whole stream in memory with its tally: for tests and small runs. */
export function generateAll(options: LoadgenOptions) {
  const generation = generate(options);
  const messages = [...generation.messages()];
  return { generation, messages, tally: new TallyBuilder(generation).addAll(messages).result() };
}
