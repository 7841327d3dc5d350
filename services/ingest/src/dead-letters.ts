import { gzipSync } from 'node:zlib';
import { CompressionTypes, type Message, type Producer } from 'kafkajs';
import { DLQ_HEADERS, dlqTopicOf } from '@notify-stats/events';
import type { DeadLetter } from './process-batch.ts';

// The broker refuses requests over 1 MB (message.max.bytes). Dead letters go out gzip-compressed
// in requests of bounded raw size; one oversized letter goes alone.
const MAX_REQUEST_BYTES = 512 * 1024;
/** A letter whose compressed payload is larger than this keeps its origin and a cut payload. */
const MAX_COMPRESSED_PAYLOAD_BYTES = 900 * 1024;
/** What a cut payload keeps: enough for `dlq show` to recognise the message. */
export const TRUNCATED_PAYLOAD_BYTES = 64 * 1024;
/** Below this, a payload always fits once compressed: no need to measure it. */
const ALWAYS_FITS_BYTES = 256 * 1024;

/** Broker refusals that a smaller payload would avoid; anything else non-retriable is not ours to fix. */
const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE']);

const size = (b: Buffer | string | null) => (b === null ? 0 : typeof b === 'string' ? Buffer.byteLength(b) : b.length);

/** The same letter with its payload cut to TRUNCATED_PAYLOAD_BYTES and the original size in a header. */
export function truncated(letter: DeadLetter): DeadLetter {
  const value = letter.value === null ? null : Buffer.from(letter.value).subarray(0, TRUNCATED_PAYLOAD_BYTES);
  return { ...letter, value, headers: { ...letter.headers, [DLQ_HEADERS.truncatedFrom]: String(size(letter.value)) } };
}

/** Cuts a payload that would not fit even compressed; the origin headers still point at the original. */
export function fitted(letter: DeadLetter): DeadLetter {
  const bytes = size(letter.value);
  if (bytes <= ALWAYS_FITS_BYTES || letter.value === null) return letter;
  return gzipSync(letter.value).length <= MAX_COMPRESSED_PAYLOAD_BYTES ? letter : truncated(letter);
}

function tooLarge(err: unknown): boolean {
  for (let e = err as { type?: unknown; cause?: unknown; originalError?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.type === 'string' && TOO_LARGE.has(e.type)) return true;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return false;
}

const asMessage = (d: DeadLetter): Message => ({ key: d.key, value: d.value, headers: d.headers });

/**
 * Publishes dead letters to `<topic>.dlq`, compressed. A letter the broker still refuses as too
 * large is sent again alone with its payload cut, so one letter never blocks its partition; any
 * other failure is thrown for the worker's backoff (commit nothing, try again).
 */
export class DeadLetterPublisher {
  constructor(private readonly producer: Producer) {}

  async send(topic: string, letters: readonly DeadLetter[]): Promise<void> {
    for (const group of bySize(letters.map(fitted))) {
      try {
        await this.publish(topic, group);
      } catch (err) {
        if (!tooLarge(err)) throw err;
        for (const letter of group) await this.sendAlone(topic, letter);
      }
    }
  }

  private async sendAlone(topic: string, letter: DeadLetter): Promise<void> {
    try {
      await this.publish(topic, [letter]);
    } catch (err) {
      if (!tooLarge(err) || letter.headers[DLQ_HEADERS.truncatedFrom] !== undefined) throw err;
      await this.publish(topic, [truncated(letter)]);
    }
  }

  private async publish(topic: string, group: readonly DeadLetter[]): Promise<void> {
    await this.producer.send({ topic: dlqTopicOf(topic), acks: -1, compression: CompressionTypes.GZIP, messages: group.map(asMessage) });
  }
}

function bySize(letters: readonly DeadLetter[]): DeadLetter[][] {
  const groups: DeadLetter[][] = [];
  let current: DeadLetter[] = [];
  let bytes = 0;
  for (const letter of letters) {
    const letterBytes = size(letter.value) + size(letter.key) + 512;
    if (current.length && bytes + letterBytes > MAX_REQUEST_BYTES) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(letter);
    bytes += letterBytes;
  }
  if (current.length) groups.push(current);
  return groups;
}
