// Sign-in and the session token.
//
// The client secret is used once, in this page, to sign a token that proves it (HS256 with
// WebCrypto: {alg: HS256, typ: JWT} . {iss: client id, iat: now}), the token any platform client
// sends. POST /auth/session exchanges that for a session token the API signed: good for 15
// minutes, renewed while the page is open (at most 12 hours after sign-in), ended by Sign out.
// The secret is dropped as soon as it has signed; only the session token is kept, in this
// module's memory: never in sessionStorage, localStorage, a cookie or the URL. A reload, or
// another tab, asks for the secret again.

export const DEFAULT_CLIENT_ID = 'notify-admin';

// Renewed this long before it expires (by this page's clock, counted from when it arrived).
const RENEW_BEFORE_MS = 2 * 60_000;

const encoder = new TextEncoder();

/** 401/403: the credentials or the session are missing or refused; the page goes back to the sign-in form. */
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

export async function errorMessage(res) {
  try {
    const body = await res.clone().json();
    if (body && typeof body.message === 'string') return body.message;
  } catch {
    // Not JSON: fall through.
  }
  return `${res.status} ${res.statusText || 'error'}`;
}

const refused = async (res) => new (res.status === 401 || res.status === 403 ? AuthError : ApiError)(res.status, await errorMessage(res));

export function base64url(bytes) {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const jsonPart = (value) => base64url(encoder.encode(JSON.stringify(value)));

/** WebCrypto exists only in secure contexts: https, or http on localhost / 127.0.0.1. */
export function webCryptoMissing() {
  return !globalThis.crypto?.subtle
    ? 'This browser cannot sign tokens here: WebCrypto needs a secure context (https, or http://localhost / 127.0.0.1).'
    : null;
}

/** A compact HS256 JWT: base64url(header).base64url(payload).base64url(HMAC-SHA-256 signature). */
export async function signToken({ clientId, secret }, nowMs = Date.now()) {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const signingInput = `${jsonPart({ alg: 'HS256', typ: 'JWT' })}.${jsonPart({ iss: clientId, iat: Math.floor(nowMs / 1000) })}`;
  const signature = await crypto.subtle.sign('HMAC', key, encoder.encode(signingInput));
  return `${signingInput}.${base64url(new Uint8Array(signature))}`;
}

// The one session of this page: { token, clientId, role, canOperate, expiresAtMs }, or null.
let session = null;
let renewing = null;

const post = (path, token, method = 'POST') =>
  fetch(path, { method, headers: { authorization: `Bearer ${token}` }, cache: 'no-store', credentials: 'omit' });

function keep(body) {
  session = {
    token: body.token,
    clientId: body.client_id,
    role: body.role,
    canOperate: body.can_operate === true,
    expiresAtMs: Date.now() + body.expires_in * 1000,
  };
  return session;
}

/**
 * Signs in: the secret signs one token, here, and the API answers with a session. Tokens are only
 * accepted within 30 s of the API's clock: when ours is off, the API's `Date` header says by how
 * much, and the token is signed again once on the API's time.
 */
export async function signIn(clientId, secret) {
  session = null;
  let res = await post('/auth/session', await signToken({ clientId, secret }));
  if (res.status === 403) {
    const message = await errorMessage(res);
    const serverDate = Date.parse(res.headers.get('date') ?? '');
    if (/\biat\b/.test(message) && Number.isFinite(serverDate)) {
      res = await post('/auth/session', await signToken({ clientId, secret }, serverDate + 500));
    }
  }
  if (!res.ok) throw await refused(res);
  return keep(await res.json());
}

export const currentSession = () => session;

/** The session token for a request, renewed first when it is about to expire. */
export async function sessionToken() {
  if (!session) throw new AuthError(401, 'Sign in to see the dashboard.');
  if (Date.now() >= session.expiresAtMs - RENEW_BEFORE_MS) {
    renewing ??= renew().finally(() => (renewing = null));
    await renewing;
  }
  return session.token;
}

async function renew() {
  const res = await post('/auth/session/renew', session.token);
  if (res.ok) keep(await res.json());
  else {
    const err = await refused(res);
    if (err instanceof AuthError) session = null;
    throw err;
  }
}

/** Forgets the session here (after the API refused it). */
export function forgetSession() {
  session = null;
}

/** Sign out: the API ends the session (every token of it), and this page forgets it. */
export async function signOut() {
  const ending = session;
  session = null;
  if (ending) await post('/auth/session', ending.token, 'DELETE').catch(() => undefined);
}
