/** PINs are stored as salted scrypt hashes and compared in constant time; the clear PIN is never kept. */
import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import { badInput } from "./errors.ts";

// Cheap parameters on purpose: a PIN is tried by DTMF with a few attempts per call, and hashing sits on
// the call set-up path. The salt still stops a leaked table from being read off directly.
const SCRYPT = { N: 1024, r: 8, p: 1 } as const;

export function validatePin(pin: string, field = "pin"): string {
  if (!/^[0-9]{4,12}$/.test(pin)) throw badInput(field, "a PIN is 4 to 12 digits (it is entered by DTMF)");
  return pin;
}

export function hashPin(pin: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(pin, salt, 32, SCRYPT);
  return `scrypt$${salt.toString("base64")}$${hash.toString("base64")}`;
}

export function verifyPin(pin: string, stored: string | null): boolean {
  if (!stored) return false;
  const [scheme, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const actual = scryptSync(pin, Buffer.from(salt, "base64"), expected.length, SCRYPT);
  return timingSafeEqual(expected, actual);
}
