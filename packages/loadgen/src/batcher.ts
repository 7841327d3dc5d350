import type { LoadGeneration, Shard } from './generator.ts';
import type { LoadMessage } from './message.ts';

/** Cuts a generated stream into batches; the reference data never shares a batch with events. */
export class Batcher {
  private readonly it: Iterator<LoadMessage>;
  private referenceLeft: number;

  constructor(generation: LoadGeneration, shard: Shard = { index: 0, count: 1 }) {
    this.it = generation.messages(shard);
    this.referenceLeft = shard.index === 0 ? generation.referenceCount : 0;
  }

  /** Up to `size` messages, or null at the end. A batch of reference data has `reference` true. */
  next(size: number): { messages: LoadMessage[]; reference: boolean } | null {
    const reference = this.referenceLeft > 0;
    const limit = reference ? Math.min(size, this.referenceLeft) : size;
    const messages: LoadMessage[] = [];
    while (messages.length < limit) {
      const r = this.it.next();
      if (r.done) break;
      messages.push(r.value);
    }
    if (reference) this.referenceLeft -= messages.length;
    return messages.length ? { messages, reference } : null;
  }
}
