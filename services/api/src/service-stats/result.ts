/**
 * What resolving a service-stats query gives: its typed values, or the first problem with it in
 * words meant for the caller. The routes turn a problem into a 400 in the envelope each answers
 * with (routes/service-stats/query.ts), so the domain never sees HTTP.
 */
export type Result<T> = { ok: true; value: T } | { ok: false; message: string };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(message: string): Result<T> => ({ ok: false, message });
