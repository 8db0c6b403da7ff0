import { DomainError, ErrorCode, ErrorReason } from "@dcon/core";
import { RATE_LIMIT_DEFAULTS } from "./config.ts";
import { AuthError } from "./auth/policy.ts";
import { RateLimitedError } from "./http/rate-limit.ts";
import { FocusLimits, type LimitName, type LimitSettings } from "./limits.ts";

function setup(overrides: Partial<LimitSettings> = {}) {
  let now = 5_000_000;
  const refused: [LimitName, string | null][] = [];
  const limits = new FocusLimits(
    { RATE_LIMIT_ENABLED: true, TRUST_PROXY: 0, ...RATE_LIMIT_DEFAULTS, ...overrides },
    { clock: () => now, onLimited: (l, a) => refused.push([l, a]) },
  );
  return { limits, refused, advance: (ms: number) => void (now += ms) };
}

const wrongPassword = () => Promise.reject(new AuthError("UNAUTHENTICATED", "wrong user name or password"));
const rightPassword = () => Promise.resolve("token");
/** an attempt that notes whether it ran */
function spy() {
  const s = { calls: 0, run: () => (s.calls++, rightPassword()) };
  return s;
}
const wrongPin = () => Promise.reject(new DomainError(ErrorCode.FORBIDDEN, "wrong PIN", ErrorReason.WRONG_PIN));

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    if (err instanceof RateLimitedError) return `RATE_LIMITED ${err.retryAfter}`;
    if (err instanceof AuthError) return err.code;
    if (err instanceof DomainError) return err.reason ?? err.code;
    throw err;
  }
}

describe("sign-in limits", () => {
  test("5 failures per name, then RATE_LIMITED without running the check, even for the right password", async () => {
    const { limits, refused } = setup();
    for (let i = 0; i < 5; i++) expect(await outcome(limits.signIn(`192.0.2.${i}`, "frank", wrongPassword))).toBe("UNAUTHENTICATED");
    const check = spy();
    expect(await outcome(limits.signIn("192.0.2.99", "frank", check.run))).toBe("RATE_LIMITED 180"); // 15 min / 5
    expect(check.calls).toBe(0);
    expect(refused).toEqual([["signin_name", "192.0.2.99"]]);
    // the same name however it is typed
    expect(await outcome(limits.signIn("192.0.2.99", "  FRANK ", rightPassword))).toBe("RATE_LIMITED 180");
    // another name is not affected
    expect(await outcome(limits.signIn("192.0.2.99", "grace", rightPassword))).toBe("ok");
  });

  test("one attempt back every 3 minutes; a success clears the name's failures", async () => {
    const { limits, advance } = setup();
    for (let i = 0; i < 5; i++) await outcome(limits.signIn("192.0.2.1", "frank", wrongPassword));
    advance(179_000);
    expect(await outcome(limits.signIn("192.0.2.1", "frank", rightPassword))).toBe("RATE_LIMITED 1");
    advance(1000);
    expect(await outcome(limits.signIn("192.0.2.1", "frank", rightPassword))).toBe("ok");
    for (let i = 0; i < 5; i++) expect(await outcome(limits.signIn("192.0.2.1", "frank", wrongPassword))).toBe("UNAUTHENTICATED");
  });

  test("parallel attempts cannot check more passwords than the limit", async () => {
    const { limits } = setup();
    let checked = 0;
    const slow = () => new Promise<never>((_, reject) => setTimeout(() => reject(new AuthError("UNAUTHENTICATED", "no")), 5)).finally(() => checked++);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => outcome(limits.signIn(`198.51.100.${i}`, "frank", slow))));
    expect(checked).toBe(5);
    expect(results.filter((r) => r === "UNAUTHENTICATED")).toHaveLength(5);
    expect(results.filter((r) => r.startsWith("RATE_LIMITED"))).toHaveLength(7);
  });

  test("20 attempts per minute per address, whatever the names; other addresses unaffected", async () => {
    const { limits, refused, advance } = setup();
    for (let i = 0; i < 20; i++) expect(await outcome(limits.signIn("203.0.113.5", `user${i}`, wrongPassword))).toBe("UNAUTHENTICATED");
    expect(await outcome(limits.signIn("203.0.113.5", "fresh-name", rightPassword))).toBe("RATE_LIMITED 3"); // a minute / 20
    expect(refused).toEqual([["signin_address", "203.0.113.5"]]);
    expect(await outcome(limits.signIn("203.0.113.6", "fresh-name", rightPassword))).toBe("ok");
    advance(3000);
    expect(await outcome(limits.signIn("203.0.113.5", "fresh-name", rightPassword))).toBe("ok");
  });

  test("names that cannot be an account's are counted per address only; errors of ours do not count as failures", async () => {
    const { limits } = setup();
    for (let i = 0; i < 10; i++) expect(await outcome(limits.signIn("192.0.2.1", "x", wrongPassword))).toBe("UNAUTHENTICATED");
    const broken = () => Promise.reject(new Error("database unavailable"));
    for (let i = 0; i < 8; i++) await expect(limits.signIn("192.0.2.2", "frank", broken)).rejects.toThrow("database unavailable");
    expect(await outcome(limits.signIn("192.0.2.2", "frank", rightPassword))).toBe("ok");
  });

  test("IPv6 clients are counted by /64", async () => {
    const { limits } = setup({ SIGNIN_ATTEMPTS_PER_MINUTE: 2 });
    await outcome(limits.signIn("2001:db8:1:2::1", "a-name", wrongPassword));
    await outcome(limits.signIn("2001:db8:1:2::2", "b-name", wrongPassword));
    expect(await outcome(limits.signIn("2001:db8:1:2:ffff::3", "c-name", rightPassword))).toBe("RATE_LIMITED 30");
    expect(await outcome(limits.signIn("2001:db8:1:3::1", "c-name", rightPassword))).toBe("ok");
  });
});

describe("PIN limits", () => {
  test("GraphQL: 10 wrong PINs per token, then RATE_LIMITED before the PIN is checked; right PINs do not count", async () => {
    const { limits, refused, advance } = setup();
    for (let i = 0; i < 20; i++) expect(await outcome(limits.pinAttempt("t1", "192.0.2.1", rightPassword))).toBe("ok");
    for (let i = 0; i < 10; i++) expect(await outcome(limits.pinAttempt("t1", "192.0.2.1", wrongPin))).toBe("WRONG_PIN");
    const check = spy();
    expect(await outcome(limits.pinAttempt("t1", "192.0.2.1", check.run))).toBe("RATE_LIMITED 60");
    expect(check.calls).toBe(0);
    expect(refused).toEqual([["pin_api", "192.0.2.1"]]);
    expect(await outcome(limits.pinAttempt("t2", "192.0.2.1", rightPassword))).toBe("ok"); // another token
    // other refusals (locked, full) give the attempt back
    advance(60_000);
    const locked = () => Promise.reject(new DomainError(ErrorCode.CONFLICT, "locked", ErrorReason.CONFERENCE_LOCKED));
    for (let i = 0; i < 5; i++) expect(await outcome(limits.pinAttempt("t1", "192.0.2.1", locked))).toBe("CONFERENCE_LOCKED");
    expect(await outcome(limits.pinAttempt("t1", "192.0.2.1", wrongPin))).toBe("WRONG_PIN");
    expect(await outcome(limits.pinAttempt("t1", "192.0.2.1", wrongPin))).toBe("RATE_LIMITED 60");
  });

  test("SIP: per source address; blocked() looks without taking, take() before each check, refund() unless wrong", () => {
    const { limits, refused } = setup();
    const pins = limits.sipPins!;
    for (let i = 0; i < 10; i++) {
      expect(pins.blocked("192.0.2.7")).toBeNull();
      expect(pins.take("192.0.2.7")).toBeNull();
    }
    expect(pins.blocked("192.0.2.7")).toBe(60);
    expect(pins.blocked("::ffff:192.0.2.7")).toBe(60); // the same host on a dual-stack socket
    expect(pins.take("192.0.2.7")).toBe(60);
    expect(pins.blocked("192.0.2.8")).toBeNull();
    pins.take("192.0.2.8");
    pins.refund("192.0.2.8"); // a right PIN
    for (let i = 0; i < 10; i++) expect(pins.take("192.0.2.8")).toBeNull();
    expect(refused.map(([l]) => l)).toEqual(["pin_sip", "pin_sip", "pin_sip"]);
  });
});

describe("connection limits", () => {
  test("WebSocket: 20 per second per address in bursts of 40", () => {
    const { limits, refused, advance } = setup();
    for (let i = 0; i < 40; i++) expect(limits.websocket("192.0.2.1")).toBeNull();
    expect(limits.websocket("192.0.2.1")).toBe(1);
    expect(limits.websocket("192.0.2.2")).toBeNull();
    advance(1000);
    for (let i = 0; i < 20; i++) expect(limits.websocket("192.0.2.1")).toBeNull();
    expect(limits.websocket("192.0.2.1")).toBe(1);
    expect(refused).toEqual([["websocket", "192.0.2.1"], ["websocket", "192.0.2.1"]]);
  });

  test("HTTP: 50 per second per address in bursts of 100", () => {
    const { limits } = setup();
    for (let i = 0; i < 100; i++) expect(limits.http("192.0.2.1")).toBeNull();
    expect(limits.http("192.0.2.1")).toBe(1);
  });
});

describe("switches", () => {
  test("RATE_LIMIT_ENABLED=false turns every limit off", async () => {
    const { limits } = setup({ RATE_LIMIT_ENABLED: false });
    for (let i = 0; i < 200; i++) {
      expect(await outcome(limits.signIn("192.0.2.1", "frank", wrongPassword))).toBe("UNAUTHENTICATED");
      expect(await outcome(limits.pinAttempt("t", "192.0.2.1", wrongPin))).toBe("WRONG_PIN");
      expect(limits.websocket("192.0.2.1")).toBeNull();
      expect(limits.http("192.0.2.1")).toBeNull();
    }
    expect(limits.sipPins).toBeNull();
  });

  test("0 turns one limit off and leaves the others", async () => {
    const { limits } = setup({ WS_CONNECTIONS_PER_SECOND: 0, PIN_FAILURES_PER_ADDRESS: 0 });
    for (let i = 0; i < 100; i++) expect(limits.websocket("192.0.2.1")).toBeNull();
    expect(limits.sipPins).toBeNull();
    for (let i = 0; i < 5; i++) await outcome(limits.signIn("192.0.2.1", "frank", wrongPassword));
    expect(await outcome(limits.signIn("192.0.2.1", "frank", rightPassword))).toBe("RATE_LIMITED 180");
  });
});
