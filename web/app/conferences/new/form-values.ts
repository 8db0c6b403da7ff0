/**
 * The conference form's values, read from its FormData and checked in plain words. Shared by the browser
 * (to answer at once) and the server actions (which must not trust the browser), for creating and editing.
 */
import { DateTime, IANAZone } from "luxon";
import type { JoinHandling, Role } from "@/lib/model";
import { buildRrule, noRecurrence, validateRecurrence, WEEKDAYS, type LocalStart, type Recurrence, type Weekday } from "@/lib/recurrence";

export const ROLES: Role[] = ["ADMINISTRATOR", "MODERATOR", "PARTICIPANT", "OBSERVER"];
export const JOIN_HANDLINGS: JoinHandling[] = ["ALLOW", "PIN", "LOBBY"];
/** the focus' limits (core/src/conferences.ts), said before the focus has to */
export const LIMITS = { subject: 200, description: 2000, durationMin: 7 * 24 * 60, maxUsers: 10_000, displayName: 120, invitees: 1000 } as const;
/** the focus' user URI schemes (core/src/validate.ts) */
export const ENTITY_RE = /^(sips?|tel|xmpp|mailto|urn|api):[^\s<>"]{1,250}$/i;
export const PIN_RE = /^[0-9]{4,12}$/;

export interface InviteeValues {
  entity: string;
  displayName: string;
  role: Role;
  pin: string;
}

export interface ConferenceValues {
  blueprintId: string;
  subject: string;
  description: string;
  /** datetime-local: yyyy-MM-ddTHH:mm, wall clock in `timezone` */
  start: string;
  durationMin: string;
  timezone: string;
  recurrence: Recurrence;
  joinHandling: JoinHandling;
  /** typed PIN; on edit, empty keeps the current one */
  pin: string;
  removePin: boolean;
  maxUsers: string;
  floorControlled: boolean;
  invitees: InviteeValues[];
}

export interface FieldError {
  /** the form field's name (invitees as invitee.<n>.<field>), or "form" for the whole */
  field: string;
  message: string;
}

export interface FormState {
  errors: FieldError[];
}

export function emptyValues(start: string, timezone: string): ConferenceValues {
  return {
    blueprintId: "", subject: "", description: "", start, durationMin: "60", timezone, recurrence: noRecurrence(),
    joinHandling: "ALLOW", pin: "", removePin: false, maxUsers: "100", floorControlled: false, invitees: [],
  };
}

const str = (form: FormData, name: string) => {
  const v = form.get(name);
  return typeof v === "string" ? v : "";
};

const oneOf = <T extends string>(value: string, allowed: readonly T[], fallback: T): T => ((allowed as readonly string[]).includes(value) ? (value as T) : fallback);

/** Whole numbers only: "1.5" and "" are NaN, so the checks below reject them. */
const whole = (value: string) => (/^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN);

export function valuesFromForm(form: FormData): ConferenceValues {
  const freq = oneOf(str(form, "freq"), ["NONE", "DAILY", "WEEKLY", "MONTHLY", "CUSTOM"] as const, "NONE");
  const recurrence: Recurrence = {
    freq,
    interval: form.has("interval") ? whole(str(form, "interval")) : 1,
    byDay: form.getAll("byDay").filter((d): d is Weekday => (WEEKDAYS as readonly unknown[]).includes(d)),
    end: oneOf(str(form, "end"), ["NEVER", "COUNT", "UNTIL"] as const, "NEVER"),
    count: form.has("count") ? whole(str(form, "count")) : 10,
    until: str(form, "until"),
    custom: str(form, "customRrule"),
  };
  const entities = form.getAll("invitee.entity").map(String);
  const names = form.getAll("invitee.displayName").map(String);
  const roles = form.getAll("invitee.role").map(String);
  const pins = form.getAll("invitee.pin").map(String);
  return {
    blueprintId: str(form, "blueprintId"),
    subject: str(form, "subject"),
    description: str(form, "description"),
    start: str(form, "start"),
    durationMin: str(form, "durationMin"),
    timezone: str(form, "timezone"),
    recurrence,
    joinHandling: oneOf(str(form, "joinHandling"), JOIN_HANDLINGS, "ALLOW"),
    pin: str(form, "pin").trim(),
    removePin: form.get("removePin") === "on",
    maxUsers: str(form, "maxUsers"),
    floorControlled: form.get("floorControlled") === "on",
    invitees: entities.map((entity, i) => ({ entity, displayName: names[i] ?? "", role: oneOf(roles[i] ?? "", ROLES, "PARTICIPANT"), pin: (pins[i] ?? "").trim() })),
  };
}

/** An instant as the form's datetime-local shows it: wall clock to the minute in `timezone`. */
export function localStartOf(startAt: string, timezone: string): string {
  return DateTime.fromISO(startAt, { zone: timezone }).toFormat("yyyy-MM-dd'T'HH:mm");
}

export function localStart(v: ConferenceValues): LocalStart {
  const [date = "", time = "00:00"] = v.start.split("T");
  return { date, time: time.slice(0, 5), timezone: v.timezone };
}

/** The first occurrence's instant (RFC 3339 with offset), or null when the fields do not make one. */
export function startInstant(v: ConferenceValues): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(v.start) || !IANAZone.isValidZone(v.timezone)) return null;
  const d = DateTime.fromISO(v.start, { zone: v.timezone });
  return d.isValid ? d.toISO({ suppressMilliseconds: true }) : null;
}

export function rruleOf(v: ConferenceValues): string | null {
  return buildRrule(v.recurrence, localStart(v));
}

/**
 * Everything wrong with the values, in plain words. `hadPin` (edit): the conference has a PIN already, so an
 * empty PIN field keeps it.
 */
export function validateValues(v: ConferenceValues, mode: "create" | "edit", hadPin = false): FieldError[] {
  const errors: FieldError[] = [];
  const add = (field: string, message: string) => errors.push({ field, message });
  const subject = v.subject.trim();
  if (!subject) add("subject", "Give the conference a subject.");
  else if (subject.length > LIMITS.subject) add("subject", `The subject is too long: at most ${LIMITS.subject} characters.`);
  if (v.description.trim().length > LIMITS.description) add("description", `The description is too long: at most ${LIMITS.description} characters.`);
  if (!IANAZone.isValidZone(v.timezone)) add("timezone", "Choose a time zone from the list.");
  else if (!startInstant(v)) add("start", "Give the start date and time.");
  const duration = whole(v.durationMin);
  if (!(duration >= 1 && duration <= LIMITS.durationMin)) add("durationMin", `The duration must be a whole number of minutes from 1 to ${LIMITS.durationMin} (a week).`);
  const maxUsers = whole(v.maxUsers);
  if (!(maxUsers >= 1 && maxUsers <= LIMITS.maxUsers)) add("maxUsers", `Max users must be a whole number from 1 to ${LIMITS.maxUsers}.`);
  for (const e of validateRecurrence(v.recurrence, localStart(v))) add(e.field, e.message);
  if (v.pin && !PIN_RE.test(v.pin)) add("pin", "The conference PIN must be 4 to 12 digits (callers type it on the keypad).");
  const keepsPin = mode === "edit" && hadPin && !v.removePin;
  if (v.joinHandling === "PIN" && !v.pin && !keepsPin && mode === "create" && !v.invitees.some((u) => u.pin)) {
    add("pin", "Join handling PIN needs a conference PIN (4 to 12 digits), or a PIN for at least one invitee.");
  }
  if (v.invitees.length > LIMITS.invitees) add("invitees", `At most ${LIMITS.invitees} invitees at creation.`);
  const seen = new Set<string>();
  v.invitees.forEach((u, i) => {
    const who = `Invitee ${i + 1}`;
    const entity = u.entity.trim();
    if (!entity) add(`invitee.${i}.entity`, `${who}: give their SIP URI, e.g. sip:alice@example.com.`);
    else if (!ENTITY_RE.test(entity)) add(`invitee.${i}.entity`, `${who}: "${entity.slice(0, 60)}" is not a SIP URI; write it like sip:alice@example.com.`);
    else if (seen.has(entity.toLowerCase())) add(`invitee.${i}.entity`, `${who}: ${entity} is listed twice.`);
    seen.add(entity.toLowerCase());
    if (u.displayName.trim().length > LIMITS.displayName) add(`invitee.${i}.displayName`, `${who}: the name is too long (at most ${LIMITS.displayName} characters).`);
    if (u.pin && !PIN_RE.test(u.pin)) add(`invitee.${i}.pin`, `${who}: a PIN is 4 to 12 digits.`);
  });
  return errors;
}
