/**
 * Dead-letter policy per failure kind (as Snuba does): what a failed write says about the data.
 *
 * - `data`: the engine refused these rows (a value it cannot parse or hold). Retrying the same
 *   rows can never succeed: the chunk is split until the refused message is alone, and that one
 *   is dead-lettered with the engine's message.
 * - `transient`: the engine is unreachable, busy, out of memory or not migrated yet. Nothing is
 *   wrong with the rows: wait with backoff, commit nothing, try again.
 * - `unknown`: the engine answered with an exception this list does not know. Retried a few
 *   times like a transient one, then handled as `data`, so an unforeseen poison message holds
 *   its partition back for seconds, not for ever.
 */
export type StorageFailureKind = 'data' | 'transient' | 'unknown';

/** Exceptions that come from the rows themselves (ClickHouse error names, ErrorCodes.cpp). */
const DATA = new Set([
  'ARGUMENT_OUT_OF_BOUND',
  'BAD_ARGUMENTS',
  'CANNOT_CONVERT_TYPE',
  'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN',
  'DECIMAL_OVERFLOW',
  'ILLEGAL_COLUMN',
  'INCORRECT_DATA',
  'INCORRECT_NUMBER_OF_COLUMNS',
  'SIZES_OF_COLUMNS_DOESNT_MATCH',
  'TOO_LARGE_ARRAY_SIZE',
  'TOO_LARGE_STRING_SIZE',
  'TYPE_MISMATCH',
  'UNEXPECTED_DATA_AFTER_PARSED_VALUE',
  'UNKNOWN_ELEMENT_IN_ENUM',
  'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
]);
const DATA_PREFIXES = ['CANNOT_PARSE_', 'CANNOT_READ_'];

/** Exceptions about the engine's state, not the rows. */
const TRANSIENT = new Set([
  'ABORTED',
  'ALL_CONNECTION_TRIES_FAILED',
  'CANNOT_ALLOCATE_MEMORY',
  'KEEPER_EXCEPTION',
  'MEMORY_LIMIT_EXCEEDED',
  'NETWORK_ERROR',
  'NOT_ENOUGH_SPACE',
  'NO_REPLICA_HAS_PART',
  'QUERY_WAS_CANCELLED',
  'READONLY',
  'SOCKET_TIMEOUT',
  'TABLE_IS_READ_ONLY',
  'TIMEOUT_EXCEEDED',
  'TOO_MANY_PARTS',
  'TOO_MANY_SIMULTANEOUS_QUERIES',
  'UNKNOWN_DATABASE',
  'UNKNOWN_TABLE',
  'NO_SUCH_COLUMN_IN_TABLE',
]);

/** The engine's exception name (`type`, e.g. CANNOT_PARSE_ESCAPE_SEQUENCE) when it answered with one. */
export function engineErrorType(err: unknown): string | null {
  // Duck-typed: the embedded engine brings its own copy of the client's error class.
  const e = err as { type?: unknown; code?: unknown } | null;
  return e && typeof e.type === 'string' && typeof e.code === 'string' && /^\d+$/.test(e.code) ? e.type : null;
}

export function classifyStorageError(err: unknown): StorageFailureKind {
  const type = engineErrorType(err);
  // No exception from the engine: a socket, a timeout, a closed client. Nothing about the rows.
  if (type === null) return 'transient';
  const message = String((err as Error).message ?? '');
  // One name for two things: too many parts (merges behind: wait) and too many partitions in one INSERT (the rows).
  if (type === 'TOO_MANY_PARTS') return /partitions for single INSERT/i.test(message) ? 'data' : 'transient';
  if (DATA.has(type) || DATA_PREFIXES.some((p) => type.startsWith(p))) return 'data';
  if (TRANSIENT.has(type)) return 'transient';
  return 'unknown';
}
