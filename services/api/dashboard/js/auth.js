// Admin credentials and the tokens signed with them.
//
// The admin client id and secret are kept in sessionStorage only: they last as long as this tab
// and are never written to localStorage, a cookie or the URL. For every request the browser signs
// a fresh HS256 JWT with WebCrypto ({alg: HS256, typ: JWT} . {iss: client id, iat: now}), exactly
// what any other admin client sends; the API accepts it for 30 seconds around its `iat`.

const STORAGE_KEY = 'notify-stats.admin';
export const DEFAULT_CLIENT_ID = 'notify-admin';

const encoder = new TextEncoder();

export function base64url(bytes) {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const jsonPart = (value) => base64url(encoder.encode(JSON.stringify(value)));

export function loadCredentials() {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const { clientId, secret } = JSON.parse(raw);
    return typeof clientId === 'string' && typeof secret === 'string' && clientId && secret ? { clientId, secret } : null;
  } catch {
    return null;
  }
}

export function saveCredentials(credentials) {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ clientId: credentials.clientId, secret: credentials.secret }));
  keyCache = null;
}

export function clearCredentials() {
  sessionStorage.removeItem(STORAGE_KEY);
  keyCache = null;
}

/** WebCrypto exists only in secure contexts: https, or http on localhost / 127.0.0.1. */
export function webCryptoMissing() {
  return !globalThis.crypto?.subtle
    ? 'This browser cannot sign tokens here: WebCrypto needs a secure context (https, or http://localhost / 127.0.0.1).'
    : null;
}

// The imported HMAC key, reused while the credentials stay the same.
let keyCache = null;

async function hmacKey(secret) {
  if (keyCache?.secret !== secret) {
    const key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    keyCache = { secret, key };
  }
  return keyCache.key;
}

/** A compact HS256 JWT: base64url(header).base64url(payload).base64url(HMAC-SHA-256 signature). */
export async function signToken({ clientId, secret }, nowMs = Date.now()) {
  const signingInput = `${jsonPart({ alg: 'HS256', typ: 'JWT' })}.${jsonPart({ iss: clientId, iat: Math.floor(nowMs / 1000) })}`;
  const signature = await crypto.subtle.sign('HMAC', await hmacKey(secret), encoder.encode(signingInput));
  return `${signingInput}.${base64url(new Uint8Array(signature))}`;
}
