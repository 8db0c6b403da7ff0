/**
 * A keyed token-bucket rate limiter with an injectable clock and bounded memory, and the typed error a
 * limited operation fails with (GraphQL `extensions.code` RATE_LIMITED, with `retryAfter` in seconds).
 *
 * Each key has a bucket of `burst` tokens that refills at `rate` tokens per `perMs`; an attempt takes one.
 * "N per window" limits are buckets of N refilling N per window: N attempts at once, then one every
 * window/N (over any long stretch, at most N per window). A bucket that has refilled to the brim is the
 * same as no bucket, so it may be dropped at any time: memory holds only keys that were limited lately.
 *
 * Memory is bounded by `maxKeys`: when a new key would pass it, full buckets are dropped first, then the
 * least recently used ones, down to 90 % (so the O(n) sweep runs at most once per maxKeys/10 new keys).
 * A flood of distinct keys therefore cannot grow the map; at worst it makes the limiter forget the oldest
 * penalties, which is why callers keep an address-based limit in front of any key a client chooses
 * (user names) and hash keys longer than MAX_KEY_LENGTH.
 */
import { createHash } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";

/** Milliseconds from any fixed origin; monotonic by default, so a wall-clock step changes no limit. */
export type Clock = () => number;
export const monotonicClock: Clock = () => performance.now();

export interface RateLimit {
  /** the bucket's size: how many attempts can be made at once */
  burst: number;
  /** tokens added per `perMs` */
  rate: number;
  perMs: number;
}

export type Verdict = { ok: true; remaining: number } | { ok: false; retryAfterMs: number };

export interface RateLimiterOptions {
  clock?: Clock;
  /** at most this many keys are remembered (default 10,000) */
  maxKeys?: number;
}

/** Keys longer than this are stored as their SHA-256 (a client-chosen key must not cost memory by its length). */
export const MAX_KEY_LENGTH = 128;

interface Bucket {
  tokens: number;
  /** when `tokens` was computed */
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private readonly clock: Clock;
  readonly maxKeys: number;
  /** how long an empty bucket takes to refill: a bucket untouched that long is full */
  private readonly refillMs: number;
  private lastSweep: number;

  constructor(readonly limit: RateLimit, opts: RateLimiterOptions = {}) {
    if (!(limit.burst >= 1) || !(limit.rate > 0) || !(limit.perMs > 0)) throw new RangeError("a rate limit needs burst >= 1, rate > 0 and perMs > 0");
    this.perMs = limit.rate / limit.perMs;
    this.clock = opts.clock ?? monotonicClock;
    this.maxKeys = Math.max(10, opts.maxKeys ?? 10_000);
    this.refillMs = limit.burst / this.perMs;
    this.lastSweep = this.clock();
  }

  /** Keys remembered now (limited lately, not yet refilled or evicted). */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes `cost` tokens if the key has them. */
  take(key: string, cost = 1): Verdict {
    return this.apply(key, cost, true);
  }

  /** Whether `take` would succeed, without taking anything. */
  check(key: string, cost = 1): Verdict {
    return this.apply(key, cost, false);
  }

  /** Gives back tokens taken for an attempt that turned out not to count (never above the burst). */
  refund(key: string, cost = 1): void {
    const k = keyOf(key);
    const b = this.buckets.get(k);
    if (!b) return; // full already
    const now = this.clock();
    const tokens = Math.min(this.limit.burst, this.level(b, now) + cost);
    this.buckets.delete(k);
    if (tokens < this.limit.burst) this.buckets.set(k, { tokens, at: now });
  }

  /** Forgets the key: its bucket is full again (e.g. a successful sign-in clears the name's failures). */
  reset(key: string): void {
    this.buckets.delete(keyOf(key));
  }

  private level(b: Bucket, now: number): number {
    return Math.min(this.limit.burst, b.tokens + Math.max(0, now - b.at) * this.perMs);
  }

  private apply(key: string, cost: number, consume: boolean): Verdict {
    if (cost > this.limit.burst) throw new RangeError(`a cost of ${cost} can never be met by a burst of ${this.limit.burst}`);
    const k = keyOf(key);
    const now = this.clock();
    if (now - this.lastSweep >= Math.max(1000, this.refillMs)) this.sweep(now, 0);
    const b = this.buckets.get(k);
    const tokens = b ? this.level(b, now) : this.limit.burst;
    if (tokens < cost) {
      if (b && consume) this.touch(k, { tokens, at: now });
      return { ok: false, retryAfterMs: Math.ceil((cost - tokens) / this.perMs) };
    }
    if (!consume) return { ok: true, remaining: Math.floor(tokens - cost) };
    if (!b && this.buckets.size >= this.maxKeys) this.sweep(now, Math.floor(this.maxKeys * 0.9));
    this.touch(k, { tokens: tokens - cost, at: now });
    return { ok: true, remaining: Math.floor(tokens - cost) };
  }

  /** Moves the key to the most recently used end (Map iteration order is insertion order). */
  private touch(k: string, b: Bucket): void {
    this.buckets.delete(k);
    this.buckets.set(k, b);
  }

  /** Drops full buckets, then the least recently used ones until at most `target` remain (0: no such cut). */
  private sweep(now: number, target: number): void {
    this.lastSweep = now;
    for (const [k, b] of this.buckets) if (this.level(b, now) >= this.limit.burst) this.buckets.delete(k);
    if (target <= 0) return;
    for (const k of this.buckets.keys()) {
      if (this.buckets.size <= target) break;
      this.buckets.delete(k);
    }
  }
}

function keyOf(key: string): string {
  return key.length <= MAX_KEY_LENGTH ? key : `sha256:${createHash("sha256").update(key).digest("base64url")}`;
}

/** Seconds to announce (Retry-After, `retryAfter`): whole seconds, rounded up, at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** "12 seconds", "3 minutes": for messages people read (the portal shows the API's own words). */
export function inWords(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

/**
 * The key of a client address: IPv4-mapped IPv6 (::ffff:192.0.2.1, as a dual-stack socket reports IPv4
 * peers) as the IPv4 address, other IPv6 addresses by their /64 prefix, because one subscriber usually has
 * a whole /64 (RFC 6177) and could otherwise take a fresh address, and a fresh bucket, for every attempt.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (isIPv4(address)) return address;
  const bare = address.replace(/%.*$/, ""); // a zone index (fe80::1%eth0) names no different host
  if (!isIPv6(bare)) return address.slice(0, 64);
  return `${ipv6Hextets(bare).slice(0, 4).join(":")}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, as lower-case hex without leading zeros. */
function ipv6Hextets(address: string): string[] {
  let text = address.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split(".").map(Number) as [number, number, number, number];
    text = `${text.slice(0, -v4[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  return groups.map((g) => parseInt(g, 16).toString(16));
}

/**
 * A refusal for going over a limit: the public code RATE_LIMITED, with how long to wait. The message is
 * meant for people (the portal shows it as it is) and names no key: never a user name, PIN or token.
 */
export class RateLimitedError extends Error {
  override readonly name = "RateLimitedError";
  readonly code = "RATE_LIMITED";
  /** whole seconds until an attempt can succeed */
  readonly retryAfter: number;

  constructor(what: string, retryAfterMs: number) {
    const retryAfter = retryAfterSeconds(retryAfterMs);
    super(`${what}: try again in ${inWords(retryAfter)}`);
    this.retryAfter = retryAfter;
  }
}
