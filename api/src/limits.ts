/**
 * The focus' rate limits: what is counted, per what, for how long. The mechanism is ./http/rate-limit.ts;
 * the numbers come from the configuration (RATE_LIMIT_*, SIGNIN_*, PIN_*, WS_*, HTTP_*; 0 turns one off).
 *
 * - Sign-in (GraphQL signIn): attempts per client address (SIGNIN_ATTEMPTS_PER_MINUTE) and failures per
 *   user name (SIGNIN_FAILURES_PER_NAME per 15 minutes). A limited attempt is answered RATE_LIMITED before
 *   the password is hashed: a flood costs no scrypt. The moderator portal signs people in from its own
 *   server, so at the focus all its users share the portal's address: there the per-name limit is the one
 *   that protects an account (the per-address one only caps the portal as a whole, and a guesser on the
 *   portal's form can spend it: raise SIGNIN_ATTEMPTS_PER_MINUTE for a busy portal).
 * - PINs: wrong PINs (PIN_FAILURES_PER_ADDRESS per 10 minutes) per source address over SIP, across calls
 *   (each call also ends after three), and per token for GraphQL joinConference. Every joinConference is
 *   authenticated, so the token is the guesser; keying it by address as well would lump together every
 *   user of an integrator's gateway or behind one NAT, and whoever can mint many tokens (admins,
 *   integrators, the conference's moderators) can change the PIN anyway.
 * - Connections: new WebSocket connections (WS_CONNECTIONS_PER_SECOND, bursts of twice that) and HTTP
 *   requests to /graphql (HTTP_REQUESTS_PER_SECOND, likewise) per client address, answered 429.
 *
 * Attempts are taken before the work they limit (the password or PIN check) and given back when they turn
 * out not to count (a right PIN; a right password clears the name), so parallel requests cannot check more
 * secrets than the limit. Keys are a kind and an address, a name or a token id: nothing secret.
 */
import { DomainError, ErrorReason } from "@dcon/core";
import type { PinAttemptLimit } from "@dcon/media";
import type { Config } from "./config.ts";
import { accountName } from "./auth/accounts.ts";
import { AuthError } from "./auth/policy.ts";
import { addressKey, RateLimitedError, RateLimiter, retryAfterSeconds, type Clock, type Verdict } from "./http/rate-limit.ts";

const MINUTE = 60_000;
export const SIGNIN_NAME_WINDOW_MS = 15 * MINUTE;
export const SIGNIN_ADDRESS_WINDOW_MS = MINUTE;
export const PIN_WINDOW_MS = 10 * MINUTE;
/** WebSocket connections and HTTP requests may come in bursts of this many seconds' worth */
export const BURST_SECONDS = 2;

export type LimitSettings = Pick<
  Config,
  "RATE_LIMIT_ENABLED" | "SIGNIN_FAILURES_PER_NAME" | "SIGNIN_ATTEMPTS_PER_MINUTE" | "PIN_FAILURES_PER_ADDRESS" | "WS_CONNECTIONS_PER_SECOND" | "HTTP_REQUESTS_PER_SECOND" | "TRUST_PROXY"
>;

/** Which limit refused something (a metrics label). */
export type LimitName = "signin_address" | "signin_name" | "pin_api" | "pin_sip" | "websocket" | "http";

export interface LimitsOptions {
  clock?: Clock;
  /** keys each limiter remembers at most */
  maxKeys?: number;
  /** told of every refusal, with the client address when there is one (never a name, PIN or token) */
  onLimited?: (limit: LimitName, address: string | null) => void;
}

const isWrongPin = (err: unknown) => err instanceof DomainError && err.reason === ErrorReason.WRONG_PIN;

export class FocusLimits {
  /** whose X-Forwarded-For entries to believe (see ./http/client-address.ts) */
  readonly trustedProxies: Config["TRUST_PROXY"];
  private readonly signinAddress: RateLimiter | null;
  private readonly signinName: RateLimiter | null;
  private readonly pinToken: RateLimiter | null;
  private readonly pinAddress: RateLimiter | null;
  private readonly wsAddress: RateLimiter | null;
  private readonly httpAddress: RateLimiter | null;
  private readonly onLimited: NonNullable<LimitsOptions["onLimited"]>;
  /** the SIP face's view of the wrong-PIN limit, null when off */
  readonly sipPins: PinAttemptLimit | null;

  constructor(s: LimitSettings, opts: LimitsOptions = {}) {
    this.trustedProxies = s.TRUST_PROXY;
    const on = s.RATE_LIMIT_ENABLED;
    const make = (count: number, perMs: number, burst = count) =>
      on && count > 0 ? new RateLimiter({ burst, rate: count, perMs }, { clock: opts.clock, maxKeys: opts.maxKeys }) : null;
    this.signinAddress = make(s.SIGNIN_ATTEMPTS_PER_MINUTE, SIGNIN_ADDRESS_WINDOW_MS);
    this.signinName = make(s.SIGNIN_FAILURES_PER_NAME, SIGNIN_NAME_WINDOW_MS);
    this.pinToken = make(s.PIN_FAILURES_PER_ADDRESS, PIN_WINDOW_MS);
    this.pinAddress = make(s.PIN_FAILURES_PER_ADDRESS, PIN_WINDOW_MS);
    this.wsAddress = make(s.WS_CONNECTIONS_PER_SECOND, 1000, s.WS_CONNECTIONS_PER_SECOND * BURST_SECONDS);
    this.httpAddress = make(s.HTTP_REQUESTS_PER_SECOND, 1000, s.HTTP_REQUESTS_PER_SECOND * BURST_SECONDS);
    this.onLimited = opts.onLimited ?? (() => {});
    const pins = this.pinAddress;
    this.sipPins = pins && {
      blocked: (address) => {
        const v = pins.check(addressKey(address));
        if (v.ok) return null;
        this.onLimited("pin_sip", address);
        return retryAfterSeconds(v.retryAfterMs);
      },
      take: (address) => {
        const v = pins.take(addressKey(address));
        if (v.ok) return null;
        this.onLimited("pin_sip", address);
        return retryAfterSeconds(v.retryAfterMs);
      },
      refund: (address) => pins.refund(addressKey(address)),
    };
  }

  /**
   * A sign-in attempt from `address` for `username`: refused with RATE_LIMITED (before `attempt` runs, so
   * before any scrypt) when the address or the name is over its limit. The attempt counts as a failure of
   * the name until it succeeds; a success clears the name's failures. Names that cannot be an account's
   * are not counted per name (nothing to protect; their attempts still count per address). Unknown and
   * existing names are counted alike, so being limited tells nothing about whether a name exists.
   */
  async signIn<T>(address: string, username: string, attempt: () => Promise<T>): Promise<T> {
    this.takeOrThrow(this.signinAddress, addressKey(address), "signin_address", address, "too many sign-in attempts from your address");
    const name = accountName(username);
    const nameKey = name === null ? null : `name:${name}`;
    if (nameKey !== null) this.takeOrThrow(this.signinName, nameKey, "signin_name", address, "too many failed sign-ins for this user name");
    let result: T;
    try {
      result = await attempt();
    } catch (err) {
      // a failure of ours (the database away) is not a wrong password
      if (nameKey !== null && !(err instanceof AuthError)) this.signinName?.refund(nameKey);
      throw err;
    }
    if (nameKey !== null) this.signinName?.reset(nameKey);
    return result;
  }

  /**
   * A join with a PIN by the token `tokenId`: refused with RATE_LIMITED when the token keyed too many wrong
   * PINs lately. Only a wrong PIN (reason WRONG_PIN) counts; any other outcome gives the attempt back.
   */
  async pinAttempt<T>(tokenId: string, address: string, attempt: () => Promise<T>): Promise<T> {
    const key = `token:${tokenId}`;
    this.takeOrThrow(this.pinToken, key, "pin_api", address, "too many wrong PINs");
    try {
      const result = await attempt();
      this.pinToken?.refund(key);
      return result;
    } catch (err) {
      if (!isWrongPin(err)) this.pinToken?.refund(key);
      throw err;
    }
  }

  /** A new WebSocket connection from `address`: null to accept it, else the seconds to announce in Retry-After. */
  websocket(address: string): number | null {
    return this.gate(this.wsAddress, address, "websocket");
  }

  /** An HTTP request to /graphql from `address`: null to serve it, else the seconds to announce in Retry-After. */
  http(address: string): number | null {
    return this.gate(this.httpAddress, address, "http");
  }

  private gate(limiter: RateLimiter | null, address: string, limit: LimitName): number | null {
    const v = limiter?.take(addressKey(address));
    if (!v || v.ok) return null;
    this.onLimited(limit, address);
    return retryAfterSeconds(v.retryAfterMs);
  }

  private takeOrThrow(limiter: RateLimiter | null, key: string, limit: LimitName, address: string, what: string): void {
    const v: Verdict | undefined = limiter?.take(key);
    if (!v || v.ok) return;
    this.onLimited(limit, address);
    throw new RateLimitedError(what, v.retryAfterMs);
  }
}
