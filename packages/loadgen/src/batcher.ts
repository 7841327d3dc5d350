import type { Block, LoadGeneration } from './generator.ts';
import type { LoadMessage } from './message.ts';

/** Cuts a producer's blocks into batches; reference data never shares a batch with events. */
export class Batcher {
  private block: Block | null = null;
  private offset = 0;
  private ended = false;

  constructor(private readonly blocks: AsyncIterator<Block>) {}

  /** The whole stream of a generation, chunks taken in order (one producer). */
  static of(generation: LoadGeneration): Batcher {
    return new Batcher(generation.blocks(chunkCounter(generation.chunkCount), true));
  }

  /** Up to `size` messages, or null at the end. A batch of reference data has `reference` true. */
  async next(size: number): Promise<{ messages: LoadMessage[]; reference: boolean } | null> {
    const messages: LoadMessage[] = [];
    let reference: boolean | null = null;
    while (messages.length < size) {
      if (!this.block || this.offset >= this.block.messages.length) {
        if (this.ended) break;
        const r = await this.blocks.next();
        if (r.done) {
          this.ended = true;
          break;
        }
        this.block = r.value;
        this.offset = 0;
        continue;
      }
      if (reference === null) reference = this.block.reference;
      else if (reference !== this.block.reference) break;
      const end = Math.min(this.block.messages.length, this.offset + size - messages.length);
      for (let i = this.offset; i < end; i++) messages.push(this.block.messages[i]!);
      this.offset = end;
    }
    return messages.length ? { messages, reference: reference ?? false } : null;
  }
}

/** Hands out chunk indices 0, 1, 2, ... to whoever asks first, then null. */
export function chunkCounter(count: number): () => Promise<number | null> {
  let next = 0;
  return async () => (next < count ? next++ : null);
}
