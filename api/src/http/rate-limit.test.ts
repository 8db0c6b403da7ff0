import fc from "fast-check";
import { addressKey, inWords, MAX_KEY_LENGTH, RateLimitedError, RateLimiter, retryAfterSeconds } from "./rate-limit.ts";

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000) {
  let now = start;
  return { clock: () => now, advance: (ms: number) => void (now += ms) };
}

describe("RateLimiter (token bucket)", () => {
  test("allows the burst at once, then refuses with the time until the next token", () => {
    const t = fakeClock();
    const l = new RateLimiter({ burst: 5, rate: 5, perMs: 15 * 60_000 }, { clock: t.clock });
    for (let i = 4; i >= 0; i--) expect(l.take("a")).toEqual({ ok: true, remaining: i });
    // 5 per 15 minutes: one token every 3 minutes
    expect(l.take("a")).toEqual({ ok: false, retryAfterMs: 180_000 });
    t.advance(60_000);
    expect(l.take("a")).toEqual({ ok: false, retryAfterMs: 120_000 });
    t.advance(120_000);
    expect(l.take("a")).toEqual({ ok: true, remaining: 0 });
    expect(l.take("a").ok).toBe(false);
  });

  test("keys are independent", () => {
    const t = fakeClock();
    const l = new RateLimiter({ burst: 2, rate: 2, perMs: 1000 }, { clock: t.clock });
    expect(l.take("a").ok).toBe(true);
    expect(l.take("a").ok).toBe(true);
    expect(l.take("a").ok).toBe(false);
    expect(l.take("b").ok).toBe(true);
  });

  test("refills continuously, never above the burst", () => {
    const t = fakeClock();
    const l = new RateLimiter({ burst: 40, rate: 20, perMs: 1000 }, { clock: t.clock });
    for (let i = 0; i < 40; i++) expect(l.take("ws").ok).toBe(true);
    expect(l.take("ws")).toEqual({ ok: false, retryAfterMs: 50 });
    t.advance(500); // 10 tokens back
    for (let i = 0; i < 10; i++) expect(l.take("ws").ok).toBe(true);
    expect(l.take("ws").ok).toBe(false);
    t.advance(3_600_000);
    expect(l.check("ws")).toEqual({ ok: true, remaining: 39 });
  });

  test("check looks without taking; a refused take takes nothing", () => {
    const t = fakeClock();
    const l = new RateLimiter({ burst: 1, rate: 1, perMs: 1000 }, { clock: t.clock });
    expect(l.check("k").ok).toBe(true);
    expect(l.check("k").ok).toBe(true);
    expect(l.take("k").ok).toBe(true);
    expect(l.check("k")).toEqual({ ok: false, retryAfterMs: 1000 });
    t.advance(400);
    expect(l.take("k")).toEqual({ ok: false, retryAfterMs: 600 }); // the refusal cost nothing: still 600 ms
    t.advance(600);
    expect(l.take("k").ok).toBe(true);
  });

  test("refund gives an attempt back (capped at the burst); reset forgets the key", () => {
    const t = fakeClock();
    const l = new RateLimiter({ burst: 3, rate: 3, perMs: 60_000 }, { clock: t.clock });
    l.take("k");
    l.take("k");
    l.refund("k");
    expect(l.check("k")).toEqual({ ok: true, remaining: 1 });
    l.refund("k");
    l.refund("k"); // nothing above the burst
    expect(l.size).toBe(0); // a full bucket is not kept
    for (let i = 0; i < 3; i++) l.take("k");
    expect(l.take("k").ok).toBe(false);
    l.reset("k");
    expect(l.take("k")).toEqual({ ok: true, remaining: 2 });
  });

  test("a cost the burst can never meet is a programming error", () => {
    const l = new RateLimiter({ burst: 2, rate: 1, perMs: 1000 });
    expect(() => l.take("k", 3)).toThrow(RangeError);
    expect(() => new RateLimiter({ burst: 0, rate: 1, perMs: 1000 })).toThrow(RangeError);
    expect(() => new RateLimiter({ burst: 1, rate: 0, perMs: 1000 })).toThrow(RangeError);
  });

  test("memory is bounded: a flood of distinct keys never grows the map past maxKeys", () => {
    const t = fakeClock();
    const l = new RateLimiter({ burst: 5, rate: 5, perMs: 15 * 60_000 }, { clock: t.clock, maxKeys: 1000 });
    for (let i = 0; i < 50_000; i++) {
      l.take(`flood-${i}`);
      expect(l.size).toBeLessThanOrEqual(1000);
    }
  });

  test("under pressure, refilled buckets go first, then the least recently used; a key under attack stays", () => {
    const t = fakeClock();
    const l = new RateLimiter({ burst: 2, rate: 2, perMs: 60_000 }, { clock: t.clock, maxKeys: 100 });
    l.take("victim");
    l.take("victim");
    expect(l.take("victim").ok).toBe(false);
    for (let i = 0; i < 99; i++) l.take(`old-${i}`);
    t.advance(30_000); // the "old" ones (one token short) are full again; the victim has one token of two
    l.take("victim"); // refused attempts keep it recent (and it has 1 token now: this takes it)
    for (let i = 0; i < 500; i++) {
      l.take(`new-${i}`);
      if (i % 50 === 0) expect(l.take("victim").ok).toBe(false); // hammered: never forgotten
    }
    expect(l.size).toBeLessThanOrEqual(100);
    expect(l.take("victim").ok).toBe(false);
  });

  test("idle keys are dropped once they have refilled, without waiting for the map to fill", () => {
    const t = fakeClock();
    const l = new RateLimiter({ burst: 2, rate: 2, perMs: 1000 }, { clock: t.clock });
    for (let i = 0; i < 100; i++) l.take(`k${i}`);
    expect(l.size).toBe(100);
    t.advance(1000); // a full refill (and at least the 1 s minimum between sweeps)
    l.take("another");
    expect(l.size).toBe(1);
  });

  test("long keys are stored as a digest (a client cannot spend memory by the length of its key)", () => {
    const t = fakeClock();
    const l = new RateLimiter({ burst: 1, rate: 1, perMs: 1000 }, { clock: t.clock });
    const long = "x".repeat(100_000);
    expect(l.take(long).ok).toBe(true);
    expect(l.take(long).ok).toBe(false);
    expect(l.take(`${"x".repeat(99_999)}y`).ok).toBe(true);
    expect(l.take("x".repeat(MAX_KEY_LENGTH)).ok).toBe(true);
  });

  test("property: over any stretch, no key gets more than burst + rate × time", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 300 }),
        (burst, rate, gaps) => {
          const t = fakeClock();
          const l = new RateLimiter({ burst, rate, perMs: 1000 }, { clock: t.clock });
          let granted = 0;
          let elapsed = 0;
          for (const gap of gaps) {
            t.advance(gap);
            elapsed += gap;
            const v = l.take("k");
            if (v.ok) granted++;
            else expect(v.retryAfterMs).toBeGreaterThan(0);
          }
          return granted <= burst + (rate * elapsed) / 1000 + 1e-9;
        },
      ),
    );
  });
});

describe("client address keys", () => {
  test("IPv4 as is; IPv4-mapped IPv6 as IPv4", () => {
    expect(addressKey("192.0.2.7")).toBe("192.0.2.7");
    expect(addressKey("::ffff:192.0.2.7")).toBe("192.0.2.7");
    expect(addressKey("::FFFF:127.0.0.1")).toBe("127.0.0.1");
  });

  test("IPv6 by its /64: one subscriber's addresses share a bucket, a neighbour's do not", () => {
    expect(addressKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:0db8:0001:0002:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(addressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(addressKey("64:ff9b::192.0.2.1")).toBe("64:ff9b:0:0::/64");
  });

  test("anything else is kept, but short", () => {
    expect(addressKey("unknown")).toBe("unknown");
    expect(addressKey("z".repeat(1000))).toHaveLength(64);
  });
});

describe("RateLimitedError", () => {
  test("carries whole seconds and says them in words; the message names no key", () => {
    const e = new RateLimitedError("too many failed sign-ins for this user name", 179_001);
    expect(e.code).toBe("RATE_LIMITED");
    expect(e.retryAfter).toBe(180);
    expect(e.message).toBe("too many failed sign-ins for this user name: try again in 3 minutes");
    expect(new RateLimitedError("too many requests", 1).message).toBe("too many requests: try again in 1 second");
  });

  test("retry times round up to at least a second", () => {
    expect(retryAfterSeconds(0)).toBe(1);
    expect(retryAfterSeconds(1001)).toBe(2);
    expect(inWords(89)).toBe("89 seconds");
    expect(inWords(90)).toBe("2 minutes");
  });
});
