// Messages that break the contract in varied ways; the pipeline must dead-letter every one of them.
import { TOPICS } from '@notify-stats/events';
import type { Rng } from './ids.ts';
import { instantIn } from './lifecycles.ts';
import { INVALID_KINDS, message, type InvalidKind, type LoadMessage } from './message.ts';
import type { ServiceTraffic } from './reference-data.ts';

/** One invalid message: a fifth go to the despatch topic, the rest to the status topic. */
export function invalidMessage(rng: Rng, services: readonly ServiceTraffic[], day: string): LoadMessage {
  const kind: InvalidKind = rng.pick(INVALID_KINDS);
  const despatch = rng.chance(0.2);
  const notificationId = rng.uuid();
  const eventId = rng.uuid();
  const at = instantIn(rng, day);
  let fields: Record<string, unknown>;
  if (despatch) {
    fields = { event_id: eventId, notification_id: notificationId, despatched_on: day, cost_threshold: 'sorted' };
  } else {
    fields = {
      event_id: eventId,
      notification_id: notificationId,
      service_id: rng.pick(services).info.id,
      template_id: null,
      job_id: null,
      notification_type: 'sms',
      key_type: 'normal',
      status: 'delivered',
      created_at: new Date(at).toISOString(),
      updated_at: new Date(at + 5000).toISOString(),
      billable_units: 1,
      rate_multiplier: 1,
      international: false,
      sent_by: 'mmg',
      postage: null,
    };
  }
  switch (kind) {
    case 'unknown-status':
      if (despatch) fields.cost_threshold = 'bulk';
      else fields.status = 'bounced';
      break;
    case 'bad-uuid':
      fields.notification_id = `not-a-uuid-${rng.hex(4)}`;
      break;
    case 'missing-field':
      delete fields[despatch ? 'cost_threshold' : 'service_id'];
      break;
    case 'date-out-of-range':
      // 2000-01-01 is the contract's lower bound for timestamps; despatch days must be calendar dates.
      if (despatch) fields.despatched_on = `${day.slice(0, 4)}-02-30`;
      else fields.created_at = fields.updated_at = '1999-12-31T23:59:59.000Z';
      break;
    case 'bad-json':
      break;
  }
  let value = JSON.stringify(fields);
  // Any proper prefix of a JSON object is not JSON: it never closes.
  if (kind === 'bad-json') value = value.slice(0, rng.int(1, value.length - 1));
  const m = message(despatch ? TOPICS.letterDespatch : TOPICS.notificationStatus, Buffer.from(String(fields.notification_id)), Buffer.from(value), 'invalid', at);
  m.invalid = kind;
  return m;
}
