// Dead letters always fit: compressed, and cut (origin kept) when even compressed they would not.
import { randomBytes } from 'node:crypto';
import type { Producer, ProducerRecord } from 'kafkajs';
import { CompressionTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS } from '@notify-stats/events';
import { DeadLetterPublisher, TRUNCATED_PAYLOAD_BYTES, fitted } from '../src/dead-letters.ts';
import type { DeadLetter } from '../src/process-batch.ts';

const letter = (value: Buffer, offset = '7'): DeadLetter => ({
  key: Buffer.from('k'),
  value,
  reason: 'invalid JSON',
  offset,
  headers: { [DLQ_HEADERS.reason]: 'invalid JSON', [DLQ_HEADERS.sourceOffset]: offset, [DLQ_HEADERS.sourceTopic]: 'notify.inbound-sms.v1' },
});

/** A broker that refuses any request holding a message whose value is over `maxValueBytes`. */
function broker(maxValueBytes: number) {
  const accepted: ProducerRecord[] = [];
  let refusals = 0;
  const producer = {
    send: async (r: ProducerRecord) => {
      if (r.messages.some((m) => (m.value?.length ?? 0) > maxValueBytes)) {
        refusals++;
        throw Object.assign(new Error('The request included a message larger than the max message size the server will accept'), {
          type: 'MESSAGE_TOO_LARGE',
          retriable: false,
        });
      }
      accepted.push(r);
    },
  } as unknown as Producer;
  return { producer, accepted, refusals: () => refusals };
}

describe('fitting a dead letter', () => {
  it('keeps a compressible 3 MB payload whole: compressed, it fits', () => {
    const big = letter(Buffer.alloc(3 * 1024 * 1024, '{'));
    expect(fitted(big)).toBe(big);
  });

  it('cuts an incompressible 3 MB payload, keeping its origin and its original size', () => {
    const big = letter(randomBytes(3 * 1024 * 1024));
    const cut = fitted(big);
    expect(cut.value?.length).toBe(TRUNCATED_PAYLOAD_BYTES);
    expect(Buffer.compare(cut.value as Buffer, (big.value as Buffer).subarray(0, TRUNCATED_PAYLOAD_BYTES))).toBe(0);
    expect(cut.headers[DLQ_HEADERS.truncatedFrom]).toBe(String(3 * 1024 * 1024));
    expect(cut.headers[DLQ_HEADERS.sourceOffset]).toBe('7');
  });
});

describe('publishing', () => {
  it('sends dead letters gzip-compressed', async () => {
    const b = broker(Infinity);
    await new DeadLetterPublisher(b.producer).send('notify.inbound-sms.v1', [letter(Buffer.from('x'))]);
    expect(b.accepted[0]?.compression).toBe(CompressionTypes.GZIP);
    expect(b.accepted[0]?.topic).toBe('notify.inbound-sms.v1.dlq');
  });

  it('sends a letter the broker still refuses as too large again alone and cut, and the others of its request whole', async () => {
    const b = broker(200_000);
    const letters = [letter(Buffer.from('a'), '1'), letter(Buffer.alloc(250_000, 'z'), '2'), letter(Buffer.from('c'), '3')];
    await new DeadLetterPublisher(b.producer).send('notify.inbound-sms.v1', letters);
    const sent = b.accepted.flatMap((r) => r.messages);
    expect(sent.map((m) => m.headers?.[DLQ_HEADERS.sourceOffset])).toEqual(['1', '2', '3']);
    expect(sent[1]?.value?.length).toBe(TRUNCATED_PAYLOAD_BYTES);
    expect(sent[1]?.headers?.[DLQ_HEADERS.truncatedFrom]).toBe('250000');
    expect(sent[0]?.value?.toString()).toBe('a');
    expect(b.refusals()).toBe(2); // the whole request, then the letter alone
  });

  it('throws any other failure, for the worker to retry', async () => {
    const producer = { send: async () => Promise.reject(Object.assign(new Error('leader not available'), { type: 'LEADER_NOT_AVAILABLE', retriable: true })) } as unknown as Producer;
    await expect(new DeadLetterPublisher(producer).send('t', [letter(Buffer.from('x'))])).rejects.toThrow(/leader not available/);
  });
});
