/** Semantic checks of command inputs; each failure names its field (BAD_USER_INPUT). */
import { badInput } from "./errors.ts";

export function text(field: string, value: string, { min = 0, max = 200 } = {}): string {
  const v = value.trim();
  if (v.length < min) throw badInput(field, min === 1 ? "must not be empty" : `must have at least ${min} characters`);
  if (v.length > max) throw badInput(field, `must have at most ${max} characters`);
  return v;
}

export function int(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw badInput(field, `must be a whole number from ${min} to ${max}`);
  return value;
}

export function date(field: string, value: Date): Date {
  if (Number.isNaN(value.getTime())) throw badInput(field, "is not a valid date-time");
  return value;
}

/** A user entity is a URI (RFC 4575 section 5.6: entity attribute), e.g. sip:alice@example.com. */
export function entity(field: string, value: string): string {
  const v = value.trim();
  if (!/^(sips?|tel|xmpp|mailto|urn|api):[^\s<>"]{1,250}$/i.test(v)) {
    throw badInput(field, `"${value.slice(0, 60)}" is not a user URI (sip:, sips:, tel:, xmpp:, mailto:, urn: or api:)`);
  }
  return v;
}

export function email(field: string, value: string): string {
  const v = value.trim();
  if (!/^[^\s@<>]{1,64}@[^\s@<>]{1,190}$/.test(v)) throw badInput(field, `"${value.slice(0, 60)}" is not an e-mail address`);
  return v;
}
