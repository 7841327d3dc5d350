// Calls to the report API, each with the session token (auth.js).
import { ApiError, AuthError, errorMessage, forgetSession, sessionToken } from './auth.js';

export { ApiError, AuthError };

export function reportUrl(path, params = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) url.searchParams.set(k, v);
  return url.pathname + url.search;
}

/** GET with `Authorization: Bearer <session token>`; throws AuthError / ApiError, else the response. */
export async function apiFetch(url, accept = 'application/json') {
  const token = await sessionToken();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept }, cache: 'no-store', credentials: 'omit' });
  if (res.status === 401 || res.status === 403) {
    forgetSession();
    throw new AuthError(res.status, await errorMessage(res));
  }
  if (!res.ok) throw new ApiError(res.status, await errorMessage(res));
  return res;
}

/** A JSON report with the freshness the API vouches for (`X-Data-As-Of`). */
export async function getJson(path, params) {
  const res = await apiFetch(reportUrl(path, params));
  return { body: await res.json(), dataAsOf: res.headers.get('x-data-as-of') };
}

/** Saves text (or a Blob, byte for byte) as a file through a temporary object URL. */
export function saveFile(content, filename, type = 'text/csv;charset=utf-8') {
  const url = URL.createObjectURL(content instanceof Blob ? content : new Blob([content], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The file name of `Content-Disposition: attachment; filename="..."`, if it is a plain one. */
export function dispositionFilename(header) {
  const m = /filename="([A-Za-z0-9_.-]+)"/.exec(header ?? '');
  return m ? m[1] : null;
}

/**
 * Downloads a list report as the API's own CSV (`?format=csv`), with the bearer header: saved as
 * the bytes the API sent (its UTF-8 byte order mark included, which text() would drop), under the
 * API's file name.
 */
export async function downloadReportCsv(path, params, filename) {
  const res = await apiFetch(reportUrl(path, { ...params, format: 'csv' }), 'text/csv');
  saveFile(await res.blob(), dispositionFilename(res.headers.get('content-disposition')) ?? filename);
}
