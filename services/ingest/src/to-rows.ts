import type { LetterDespatchEvent, InboundSmsEvent, NotificationStatusEvent, ReferenceRecord } from '@notify-stats/events';
import { statusRank } from '@notify-stats/events';
import type { InboundSmsRow, LetterDespatchRow, NotificationEventRow, ReferenceRow } from '@notify-stats/clickhouse';
import { londonDayOf } from '@notify-stats/london';

export interface Origin {
  partition: number;
  offset: string;
}

export function notificationEventRow(e: NotificationStatusEvent, origin: Origin): NotificationEventRow {
  return {
    event_id: e.event_id,
    notification_id: e.notification_id,
    service_id: e.service_id,
    template_id: e.template_id,
    job_id: e.job_id,
    notification_type: e.notification_type,
    key_type: e.key_type,
    status: e.status,
    status_rank: statusRank(e.status),
    created_at: e.created_at.iso,
    created_day: londonDayOf(e.created_at.ms),
    updated_at: e.updated_at.iso,
    billable_units: e.billable_units,
    rate_multiplier: e.rate_multiplier,
    international: e.international,
    sent_by: e.sent_by,
    postage: e.postage,
    source_partition: origin.partition,
    source_offset: origin.offset,
  };
}

export const letterDespatchRow = (e: LetterDespatchEvent, origin: Origin): LetterDespatchRow => ({
  ...e,
  source_partition: origin.partition,
  source_offset: origin.offset,
});

export const inboundSmsRow = (e: InboundSmsEvent): InboundSmsRow => ({
  event_id: e.event_id,
  inbound_sms_id: e.inbound_sms_id,
  service_id: e.service_id,
  created_at: e.created_at.iso,
  created_day: londonDayOf(e.created_at.ms),
  provider: e.provider,
});

/** Identity comes from the key (events.md section 3), the rest from the value. */
export function referenceRow(key: string, record: ReferenceRecord, version: string): ReferenceRow {
  const keyParts = key.split(':');
  const base = { key, version, is_deleted: 0 as const };
  switch (record.type) {
    case 'organisation':
    case 'service':
    case 'api_key': {
      const { type: _type, ...fields } = record;
      return { ...base, ...fields, id: keyParts[1] };
    }
    case 'annual_billing':
      return {
        ...base,
        service_id: keyParts[1],
        financial_year_start: Number(keyParts[2]),
        free_sms_fragment_limit: record.free_sms_fragment_limit,
      };
    case 'spend_threshold':
      return { ...base, service_id: keyParts[1], financial_year_start: Number(keyParts[2]), amount: record.amount };
    case 'sms_rate':
      return { ...base, valid_from: record.valid_from.iso, rate: record.rate };
    case 'letter_rate':
      return {
        ...base,
        start_date: record.start_date.iso,
        end_date: record.end_date?.iso ?? null,
        sheet_count: record.sheet_count,
        post_class: record.post_class,
        rate: record.rate,
      };
  }
}

/** A tombstone keeps only the key; the table's defaults fill the rest and FINAL hides it. */
export const deletedReferenceRow = (key: string, version: string): ReferenceRow => ({ key, version, is_deleted: 1 });
