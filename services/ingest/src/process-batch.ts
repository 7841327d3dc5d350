import type { IHeaders } from 'kafkajs';
import { DLQ_HEADERS, decodeMessage, rateKeyInstant, type Decoded, type ReferenceType, type SourceTopic } from '@notify-stats/events';
import type {
  DirtyMark,
  InboundSmsRow,
  LetterDespatchRow,
  NotificationEventRow,
  ReferenceRow,
} from '@notify-stats/clickhouse';
import { londonDayOf } from '@notify-stats/london';
import {
  deletedReferenceRow,
  inboundSmsRow,
  letterDespatchRow,
  notificationEventRow,
  referenceRow,
} from './to-rows.ts';

export interface IncomingMessage {
  key: Buffer | string | null;
  value: Buffer | string | null;
  offset: string;
  headers?: IHeaders | undefined;
}

export interface DeadLetter {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers: IHeaders;
  reason: string;
  offset: string;
}

/** Everything one batch asks of storage, decided without touching it (unit-testable, no broker). */
export interface BatchOutcome {
  notificationEvents: NotificationEventRow[];
  letterDespatches: LetterDespatchRow[];
  inboundSms: InboundSmsRow[];
  reference: Map<ReferenceType, ReferenceRow[]>;
  deadLetters: DeadLetter[];
  dirty: DirtyMark[];
  valid: number;
}

// Rates published with no usable date re-price everything we hold.
const EARLIEST_DAY = '2000-01-01';

export interface ProcessOptions {
  now?: () => Date;
  /** Status events of these services are dead-lettered instead of stored (quarantine). */
  rejectServices?: ReadonlySet<string> | undefined;
}

export function processBatch(
  topic: SourceTopic,
  partition: number,
  messages: readonly IncomingMessage[],
  { now = () => new Date(), rejectServices }: ProcessOptions = {},
): BatchOutcome {
  const out: BatchOutcome = {
    notificationEvents: [],
    letterDespatches: [],
    inboundSms: [],
    reference: new Map(),
    deadLetters: [],
    dirty: [],
    valid: 0,
  };
  const dirty = new Map<string, DirtyMark>();
  const mark = (scope: DirtyMark['scope'], day: string) => dirty.set(`${scope}|${day}`, { scope, day });
  const addReference = (type: ReferenceType, row: ReferenceRow) => {
    const rows = out.reference.get(type) ?? [];
    rows.push(row);
    out.reference.set(type, rows);
  };

  // A free allowance or spend threshold changed: the alerts of its financial year are checked again
  // (key <type>:<service_id>:<financial_year_start>, checked by decodeMessage).
  const markThresholds = (type: ReferenceType, key: string) => {
    if (type === 'annual_billing' || type === 'spend_threshold') mark('alert_thresholds', `${key.split(':')[2]}-04-01`);
  };
  const deadLetter = (message: IncomingMessage, reason: string) => out.deadLetters.push(deadLetterOf(message, reason, topic, partition, now()));

  for (const message of messages) {
    // Whatever one message does (a date no calendar holds, a value no row can take), it becomes
    // that message's dead letter: nothing thrown here may stop the messages after it.
    try {
      const decoded = quarantine(decodeMessage(topic, message.key, message.value), rejectServices);
      if (decoded.kind === 'invalid') {
        deadLetter(message, decoded.reason);
        continue;
      }
      accept(decoded, message);
    } catch (err) {
      deadLetter(message, `could not be processed: ${(err as Error)?.message ?? String(err)}`);
      continue;
    }
    out.valid++;
  }

  /** Builds the rows and marks of one valid message; throws before it adds anything if it cannot. */
  function accept(decoded: Exclude<Decoded, { kind: 'invalid' }>, message: IncomingMessage): void {
    switch (decoded.kind) {
      case 'status': {
        const row = notificationEventRow(decoded.event, { partition, offset: message.offset });
        out.notificationEvents.push(row);
        return;
      }
      case 'despatch':
        out.letterDespatches.push(letterDespatchRow(decoded.event, { partition, offset: message.offset }));
        return;
      case 'inbound':
        out.inboundSms.push(inboundSmsRow(decoded.event));
        return;
      case 'reference': {
        const row = referenceRow(decoded.key, decoded.record, message.offset);
        const r = decoded.record;
        if (r.type === 'sms_rate' || r.type === 'letter_rate') {
          const from = r.type === 'sms_rate' ? r.valid_from.ms : r.start_date.ms;
          const keyed = rateKeyInstant(r.type, decoded.key);
          mark(r.type, londonDayOf(Math.min(from, keyed ?? from)));
        }
        markThresholds(decoded.type, decoded.key);
        addReference(decoded.type, row);
        return;
      }
      case 'reference-deleted': {
        if (decoded.type === 'sms_rate' || decoded.type === 'letter_rate') {
          const keyed = rateKeyInstant(decoded.type, decoded.key);
          mark(decoded.type, keyed === null ? EARLIEST_DAY : londonDayOf(keyed));
        }
        markThresholds(decoded.type, decoded.key);
        addReference(decoded.type, deletedReferenceRow(decoded.key, message.offset));
        return;
      }
    }
  }
  out.dirty = [...dirty.values()];
  return out;
}

/** A message refused for `reason`: its own key, value and headers, plus where it came from and why (DLQ_HEADERS). */
export function deadLetterOf(message: IncomingMessage, reason: string, topic: string, partition: number, at: Date): DeadLetter {
  return {
    key: message.key,
    value: message.value,
    reason,
    offset: message.offset,
    headers: {
      ...message.headers,
      [DLQ_HEADERS.reason]: reason,
      [DLQ_HEADERS.sourceTopic]: topic,
      [DLQ_HEADERS.sourcePartition]: String(partition),
      [DLQ_HEADERS.sourceOffset]: message.offset,
      [DLQ_HEADERS.failedAt]: at.toISOString(),
    },
  };
}

function quarantine(decoded: Decoded, rejectServices: ReadonlySet<string> | undefined): Decoded {
  if (!rejectServices?.size || decoded.kind !== 'status' || !rejectServices.has(decoded.event.service_id)) return decoded;
  return { kind: 'invalid', reason: `service ${decoded.event.service_id} is quarantined (INGEST_REJECT_SERVICES)` };
}
