import * as jose from 'jose';
import { SignJWT } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { INVALID_TOKEN, verifyHs256 } from '../src/auth/jwt.ts';

// jwtVerify wrapped in a spy, to see when a signature is checked again and when it is not.
vi.mock('jose', async (importOriginal) => {
  const actual = await importOriginal<typeof jose>();
  return { ...actual, jwtVerify: vi.fn(actual.jwtVerify) };
});
const jwtVerify = vi.mocked(jose.jwtVerify);

const SECRET = 'jwt-verify-secret-0123456789';
const ISSUER = 'notify-admin';
const T0 = Date.UTC(2026, 11, 6, 12, 0, 0);
const s = (ms: number) => Math.floor(ms / 1000);

async function token(claims: { iat?: number; exp?: number; nbf?: number } = {}, secret = SECRET, issuer = ISSUER): Promise<string> {
  const t = new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(issuer).setIssuedAt(claims.iat ?? s(T0));
  if (claims.exp !== undefined) t.setExpirationTime(claims.exp);
  if (claims.nbf !== undefined) t.setNotBefore(claims.nbf);
  return t.sign(new TextEncoder().encode(secret));
}

const refusal = (p: Promise<void>) =>
  p.then(
    () => 'accepted',
    (err: { statusCode?: number; message: string }) => `${err.statusCode} ${err.message}`,
  );

describe('verifyHs256 of a token it verified before', () => {
  it('does not check the same signature again while the token is usable', async () => {
    const t = await token();
    jwtVerify.mockClear();
    await verifyHs256(t, SECRET, ISSUER, T0);
    await verifyHs256(t, SECRET, ISSUER, T0 + 1000);
    await verifyHs256(t, SECRET, ISSUER, T0 + 20_000);
    expect(jwtVerify).toHaveBeenCalledTimes(1);
  });

  it('still refuses it against another secret or for another issuer', async () => {
    const t = await token();
    await verifyHs256(t, SECRET, ISSUER, T0);
    expect(await refusal(verifyHs256(t, 'another-secret-0123456789', ISSUER, T0))).toBe(`403 ${INVALID_TOKEN}`);
    expect(await refusal(verifyHs256(t, SECRET, 'notify-operator', T0))).toBe(`403 ${INVALID_TOKEN}`);
  });

  it('still refuses it once its iat is out of the window', async () => {
    const t = await token({ iat: s(T0) + 1 });
    await verifyHs256(t, SECRET, ISSUER, T0);
    expect(await refusal(verifyHs256(t, SECRET, ISSUER, T0 + 32_000))).toBe('403 Invalid token: iat must be within 30 seconds of now');
  });

  it('still refuses it once it has expired, or before it is valid', async () => {
    const expiring = await token({ exp: s(T0) + 10 });
    await verifyHs256(expiring, SECRET, ISSUER, T0);
    expect(await refusal(verifyHs256(expiring, SECRET, ISSUER, T0 + 10_000))).toBe('403 Invalid token: expired');

    const later = await token({ nbf: s(T0) + 5 });
    await verifyHs256(later, SECRET, ISSUER, T0 + 6000);
    expect(await refusal(verifyHs256(later, SECRET, ISSUER, T0))).toBe(`403 ${INVALID_TOKEN}`);
  });

  it('checks a refused token again every time (only what verified is kept)', async () => {
    const forged = await token({}, 'not-the-secret-0123456789');
    jwtVerify.mockClear();
    expect(await refusal(verifyHs256(forged, SECRET, ISSUER, T0))).toBe(`403 ${INVALID_TOKEN}`);
    expect(await refusal(verifyHs256(forged, SECRET, ISSUER, T0))).toBe(`403 ${INVALID_TOKEN}`);
    expect(jwtVerify).toHaveBeenCalledTimes(2);
  });
});
