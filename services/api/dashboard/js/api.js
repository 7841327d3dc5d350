// Calls to the report API, each with a freshly signed admin token.
import { loadCredentials, signToken } from './auth.js';

/** 401/403: the credentials are missing or wrong; the page goes back to the sign-in form. */
export class AuthError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Any other answer than 2xx: the API's `{message, status_code}` message when it sent one. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Difference between the API's clock and ours, learnt when a token is refused for its `iat`:
// tokens are only accepted within 30 s of the server's time, and laptops' clocks do drift.
let clockOffsetMs = 0;

export function reportUrl(path, params = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) url.searchParams.set(k, v);
  return url.pathname + url.search;
}

async function errorMessage(res) {
  try {
    const body = await res.clone().json();
    if (body && typeof body.message === 'string') return body.message;
  } catch {
    // Not JSON: fall through.
  }
  return `${res.status} ${res.statusText || 'error'}`;
}

async function send(url, accept, credentials) {
  const token = await signToken(credentials, Date.now() + clockOffsetMs);
  return fetch(url, { headers: { authorization: `Bearer ${token}`, accept }, cache: 'no-store', credentials: 'omit' });
}

/** GET with `Authorization: Bearer <fresh JWT>`; throws AuthError / ApiError, else the response. */
export async function apiFetch(url, accept = 'application/json') {
  const credentials = loadCredentials();
  if (!credentials) throw new AuthError(401, 'Sign in to see the dashboard.');
  let res = await send(url, accept, credentials);
  if (res.status === 403) {
    const message = await errorMessage(res);
    const serverDate = Date.parse(res.headers.get('date') ?? '');
    if (/\biat\b/.test(message) && Number.isFinite(serverDate)) {
      // Our clock is off: sign again on the server's time, once.
      clockOffsetMs = serverDate + 500 - Date.now();
      res = await send(url, accept, credentials);
    }
  }
  if (res.status === 401 || res.status === 403) throw new AuthError(res.status, await errorMessage(res));
  if (!res.ok) throw new ApiError(res.status, await errorMessage(res));
  return res;
}

/** A JSON report with the freshness the API vouches for (`X-Data-As-Of`). */
export async function getJson(path, params) {
  const res = await apiFetch(reportUrl(path, params));
  return { body: await res.json(), dataAsOf: res.headers.get('x-data-as-of') };
}

/** Saves text as a file through a temporary object URL. */
export function saveFile(text, filename, type = 'text/csv;charset=utf-8') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Downloads a list report as the API's own CSV (`?format=csv`), with the bearer header. */
export async function downloadReportCsv(path, params, filename) {
  const res = await apiFetch(reportUrl(path, { ...params, format: 'csv' }), 'text/csv');
  saveFile(await res.text(), filename);
}
