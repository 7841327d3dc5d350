import type { FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { ApiError } from '../errors.ts';
import { httpMetrics } from '../metrics.ts';

/** Every limit counts over a fixed one-minute window that starts at the window's first event. */
export const LIMIT_WINDOW_MS = 60_000;

// Generous for people and dashboards, low enough that one runaway script cannot starve the rest.
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;
// Refused credentials per source address: a client with a wrong secret or a stale clock notices
// long before this, and a guesser gets no further.
export const DEFAULT_AUTH_FAILURES_PER_MINUTE = 30;
// Wrong secrets per API key id (and per service id for bearer tokens), from anywhere: the bound
// on distributed guessing of one key. Reaching it also refuses the right secret until the minute
// is over, which is the price of a lock that a guesser cannot tell apart from a refusal.
export const DEFAULT_KEY_FAILURES_PER_MINUTE = 10;

// Distinct keys each counter remembers (least recently used first out), so a flood of random
// ids or addresses cannot grow memory without bound (about 100 bytes each).
const COUNTER_CAPACITY = 100_000;

export const LIMIT_MESSAGES = {
  failures: (retryS: number) => `Too many failed authentication attempts: retry in ${retryS} seconds`,
  requests: (max: number, retryS: number) => `Rate limit exceeded: at most ${max} requests per minute per client, retry in ${retryS} seconds`,
} as const;

interface Window {
  start: number;
  count: number;
}

/** Counts per key in fixed one-minute windows. `max` 0 turns it off. */
export class WindowCounter {
  private readonly windows = new LRUCache<string, Window>({ max: COUNTER_CAPACITY });

  constructor(
    readonly max: number,
    private readonly now: () => number,
  ) {}

  private current(key: string): Window | undefined {
    const w = this.windows.get(key);
    const now = this.now();
    // A clock that went backwards starts a new window rather than holding an old one forever.
    return w && now >= w.start && now - w.start < LIMIT_WINDOW_MS ? w : undefined;
  }

  get enabled(): boolean {
    return this.max > 0;
  }

  count(key: string): number {
    return this.current(key)?.count ?? 0;
  }

  /** True once `max` events were counted in the key's current window. */
  full(key: string): boolean {
    return this.enabled && this.count(key) >= this.max;
  }

  hit(key: string): Window {
    let w = this.current(key);
    if (!w) {
      w = { start: this.now(), count: 0 };
      this.windows.set(key, w);
    }
    w.count++;
    return w;
  }

  /** Whole seconds until the key's window ends (at least 1). */
  retryAfterS(key: string): number {
    const w = this.current(key);
    return w ? Math.max(1, Math.ceil((w.start + LIMIT_WINDOW_MS - this.now()) / 1000)) : 1;
  }
}

/**
 * The source address a failure counts against: an IPv4 address, or the /64 of an IPv6 one (one
 * host or subscriber usually holds a whole /64, so single IPv6 addresses would be free to rotate).
 */
export function addressKey(ip: string): string {
  const bare = ip.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare);
  if (mapped?.[1]) return mapped[1];
  if (!bare.includes(':')) return bare;
  const [head = '', tail] = bare.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return `${groups
    .slice(0, 4)
    .map((g) => (Number.parseInt(g || '0', 16) || 0).toString(16))
    .join(':')}::/64`;
}

export interface AccessLimitOptions {
  /** Requests per verified client per minute, on every authenticated route; 0 turns it off. */
  requestsPerMinute?: number | undefined;
  /** Refused or missing credentials per source address per minute; 0 turns it off. */
  authFailuresPerMinute?: number | undefined;
  /** Refused secrets per API key id / service id per minute; 0 turns it off. */
  keyFailuresPerMinute?: number | undefined;
}

/**
 * The three limits every authenticated route goes through (see auth/guard.ts for the order):
 * failed attempts per source address (checked first, before the credentials are even read),
 * failed attempts per key id or service id (checked once the request names one, before any
 * lookup), and requests per verified client (counted once authentication succeeded).
 */
export class AccessLimits {
  readonly requests: WindowCounter;
  readonly addressFailures: WindowCounter;
  readonly targetFailures: WindowCounter;

  constructor(options: AccessLimitOptions = {}, now: () => number = () => Date.now()) {
    this.requests = new WindowCounter(options.requestsPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE, now);
    this.addressFailures = new WindowCounter(options.authFailuresPerMinute ?? DEFAULT_AUTH_FAILURES_PER_MINUTE, now);
    this.targetFailures = new WindowCounter(options.keyFailuresPerMinute ?? DEFAULT_KEY_FAILURES_PER_MINUTE, now);
  }

  /** 429 for an address that failed too often in this window: nothing of the request is looked at. */
  checkAddress(request: FastifyRequest): void {
    const key = addressKey(request.ip);
    if (this.addressFailures.full(key)) this.refuse('address', this.addressFailures.retryAfterS(key));
  }

  /** 429 for a key id or service id that was guessed at too often in this window, before any lookup. */
  checkTarget(target: string): void {
    if (this.targetFailures.full(target)) this.refuse('key', this.targetFailures.retryAfterS(target));
  }

  /** A refused or missing credential: counts against the address and every target it named. */
  failed(request: FastifyRequest, targets: readonly string[]): void {
    httpMetrics.authRefusals.inc({ reason: 'credentials' });
    if (this.addressFailures.enabled) this.addressFailures.hit(addressKey(request.ip));
    if (this.targetFailures.enabled) for (const t of targets) this.targetFailures.hit(t);
  }

  /** Counts one request of a verified client; 429 beyond its limit. Sets the X-RateLimit-* headers. */
  admit(reply: FastifyReply, clientKey: string): void {
    if (!this.requests.enabled) return;
    const w = this.requests.hit(clientKey);
    const retryS = this.requests.retryAfterS(clientKey);
    const headers = {
      'x-ratelimit-limit': String(this.requests.max),
      'x-ratelimit-remaining': String(Math.max(0, this.requests.max - w.count)),
      'x-ratelimit-reset': String(retryS),
    };
    reply.headers(headers);
    if (w.count > this.requests.max) {
      httpMetrics.authRefusals.inc({ reason: 'client-limit' });
      throw new ApiError(429, LIMIT_MESSAGES.requests(this.requests.max, retryS), { ...headers, 'retry-after': String(retryS) });
    }
  }

  private refuse(reason: 'address' | 'key', retryS: number): never {
    httpMetrics.authRefusals.inc({ reason: `${reason}-limit` });
    throw new ApiError(429, LIMIT_MESSAGES.failures(retryS), { 'retry-after': String(retryS) });
  }
}
