/**
 * Account passwords: salted scrypt, stored as `scrypt$N$r$p$salt$hash` (base64url), compared in constant
 * time. Unlike conference PINs (core/src/pin.ts, cheap on purpose) a password guards a global token, so
 * the cost is the one OWASP recommends for scrypt; the async form keeps the ~50 ms off the event loop.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

const N = 16384;
const R = 8;
const P = 1;
const KEY_BYTES = 64;
const SALT_BYTES = 16;
// 128 * N * r = 16 MiB; Node's default ceiling (32 MiB) would refuse a stored hash made with a larger N.
const MAX_MEM = 64 * 1024 * 1024;

function derive(password: string, salt: Buffer, keyLength: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFC"), salt, keyLength, { ...opts, maxmem: MAX_MEM }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, { N, r: R, p: P });
  return ["scrypt", N, R, P, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/**
 * Stands in for the hash of an account that does not exist, so that a sign-in with an unknown user name
 * costs one scrypt like a wrong password does: the answer's timing does not tell which names exist.
 */
const NO_ACCOUNT = ["scrypt", N, R, P, Buffer.alloc(SALT_BYTES).toString("base64url"), Buffer.alloc(KEY_BYTES).toString("base64url")].join("$");

/** Whether `password` matches `stored`; with `stored` null (no such account) it still runs one scrypt and says no. */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const own = stored === null ? null : parse(stored);
  // an unreadable stored hash is compared against the stand-in too: it never matches, and costs the same
  const used = own ?? parse(NO_ACCOUNT)!;
  const actual = await derive(password, used.salt, used.key.length, used.opts);
  return timingSafeEqual(actual, used.key) && own !== null;
}

function parse(stored: string): { opts: ScryptOptions; salt: Buffer; key: Buffer } | null {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return null;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  // bounds keep a corrupt row from asking scrypt for gigabytes or hours
  if (!Number.isInteger(n) || n < 2 || n > 1 << 20 || (n & (n - 1)) !== 0) return null;
  if (!Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16 || 128 * n * r > MAX_MEM) return null;
  const salt = Buffer.from(parts[4]!, "base64url");
  const key = Buffer.from(parts[5]!, "base64url");
  if (salt.length < 8 || key.length < 16 || key.length > 256) return null;
  return { opts: { N: n, r, p }, salt, key };
}
