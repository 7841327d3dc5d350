export * from './topics.ts';
export * from './vocabulary.ts';
export { uuid, timestamp, parseTimestamp, isoDay, money, type Timestamp } from './fields.ts';
export { fastStatusEvent } from './fast-status.ts';
export * from './status-event.ts';
export * from './despatch-event.ts';
export * from './inbound-event.ts';
export * from './reference-event.ts';
export { decodeMessage, formatIssues, MAX_MESSAGE_BYTES, type Decoded } from './decode.ts';
