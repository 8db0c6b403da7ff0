/**
 * Authenticates the audio leg one island's focus places to another's (the cascade): the INVITE carries
 * `X-Dcon-Island: <island>;ts=<ms>;sig=<HMAC-SHA256>` over the island, the Request-URI and the time,
 * under the secret the two islands share. The home then admits the leg as its peer's focus (no PIN, no
 * lobby, always heard), which a caller merely claiming `sip:focus@<island>` in From cannot get.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const CASCADE_HEADER = "X-Dcon-Island";
/** How far the signing time may be from ours (clock skew and a generous network delay). */
const WINDOW_MS = 5 * 60_000;

function mac(secret: string, island: string, target: string, ts: number): string {
  return createHmac("sha256", secret).update(JSON.stringify(["cascade", island, target, ts])).digest("base64url");
}

/** The header value for a leg from `island` to `target` (the INVITE's Request-URI). */
export function cascadeHeaderValue(secret: string, island: string, target: string, now = Date.now()): string {
  return `${island};ts=${now};sig=${mac(secret, island, target, now)}`;
}

/**
 * The island a header value proves, or null: `secretOf` gives the secret shared with an island (undefined
 * when it is no peer), `target` is the Request-URI the INVITE came to.
 */
export function verifyCascadeHeader(value: string | undefined, target: string, secretOf: (island: string) => string | undefined, now = Date.now()): string | null {
  const m = value ? /^([a-z0-9.-]{1,253});ts=([0-9]{1,15});sig=([A-Za-z0-9_-]{43})$/.exec(value.trim()) : null;
  if (!m) return null;
  const [, island, tsText, sig] = m as unknown as [string, string, string, string];
  const ts = Number(tsText);
  const secret = secretOf(island);
  if (!secret || Math.abs(now - ts) > WINDOW_MS) return null;
  const expected = Buffer.from(mac(secret, island, target, ts));
  const given = Buffer.from(sig);
  return expected.length === given.length && timingSafeEqual(expected, given) ? island : null;
}
