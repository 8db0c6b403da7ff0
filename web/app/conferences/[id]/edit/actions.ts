"use server";
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { DateTime } from "luxon";
import type { ActionResult } from "@/lib/action-result";
import { gql, plainError } from "@/lib/focus";
import { CONFERENCE_FIELDS, type Conference, type Role } from "@/lib/model";
import { buildRrule, parseRrule } from "@/lib/recurrence";
import { runAction } from "@/lib/run-action";
import { requireSession } from "@/lib/session";
import { ENTITY_RE, localStartOf, PIN_RE, ROLES, rruleOf, startInstant, validateValues, valuesFromForm, type FormState } from "@/app/conferences/new/form-values";

const GET = `query ($id: ID!) { conference(id: $id) { ${CONFERENCE_FIELDS} } }`;
const UPDATE = `mutation ($id: ID!, $patch: ConferencePatch!) { updateConference(id: $id, patch: $patch) { id } }`;

const editPath = (id: string) => `/conferences/${encodeURIComponent(id)}/edit`;

/** Saves only what changed, so a concurrent edit of another field is not overwritten with what the form loaded. */
export async function updateConference(id: string, _prev: FormState, form: FormData): Promise<FormState> {
  const session = await requireSession();
  const v = valuesFromForm(form);
  let c: Conference;
  try {
    c = (await gql<{ conference: Conference }>(session.token, GET, { id })).conference;
  } catch (err) {
    return { errors: [{ field: "form", message: plainError(err) }] };
  }
  const errors = validateValues(v, "edit", c.hasPin);
  if (errors.length) return { errors };
  const patch: Record<string, unknown> = {};
  if (v.subject.trim() !== c.subject) patch.subject = v.subject.trim();
  if (v.description.trim() !== c.description) patch.description = v.description.trim();
  if (Number(v.maxUsers) !== c.maxUsers) patch.maxUsers = Number(v.maxUsers);
  if (v.joinHandling !== c.joinHandling) patch.joinHandling = v.joinHandling;
  if (v.floorControlled !== c.floorControlled) patch.floorControlled = v.floorControlled;
  if (Number(v.durationMin) !== c.durationMin) patch.durationMin = Number(v.durationMin);
  if (v.timezone !== c.timezone) patch.timezone = v.timezone;
  // The form shows minutes only: an untouched start must not lose the seconds the API may have set.
  const oldStart = localStartOf(c.startAt, c.timezone);
  const newStart = startInstant(v);
  if ((v.start !== oldStart || v.timezone !== c.timezone) && newStart && Date.parse(newStart) !== Date.parse(c.startAt)) patch.startAt = newStart;
  // Compared as the form writes rules, so an equivalent rule in the focus' normal form is not rewritten.
  const [date = "", time = "00:00"] = oldStart.split("T");
  const oldLocal = { date, time, timezone: c.timezone };
  const oldRule = buildRrule(parseRrule(c.rrule, oldLocal), oldLocal);
  const newRule = rruleOf(v);
  if (newRule !== oldRule) patch.rrule = newRule;
  if (v.removePin) {
    if (c.hasPin) patch.pin = null;
  } else if (v.pin) patch.pin = v.pin;
  if (Object.keys(patch).length === 0) return { errors: [{ field: "form", message: "Nothing to save: no setting was changed." }] };
  try {
    await gql(session.token, UPDATE, { id, patch });
  } catch (err) {
    return { errors: [{ field: "form", message: plainError(err) }] };
  }
  revalidatePath(editPath(id));
  redirect(`${editPath(id)}?saved=1`);
}

export interface UserFormState {
  error: string | null;
  notice: string | null;
}

const ADD_USER = `mutation ($conferenceId: ID!, $input: UserInput!) { addUser(conferenceId: $conferenceId, input: $input) { id } }`;
const UPDATE_USER = `mutation ($id: ID!, $patch: UserPatch!) { updateUser(id: $id, patch: $patch) { id } }`;
const REMOVE_USER = `mutation ($id: ID!) { removeUser(id: $id) }`;

const roleOf = (value: FormDataEntryValue | null): Role | null => ((ROLES as string[]).includes(String(value)) ? (value as Role) : null);

export async function addInvitee(conferenceId: string, _prev: UserFormState, form: FormData): Promise<UserFormState> {
  const session = await requireSession();
  const entity = String(form.get("entity") ?? "").trim();
  const displayName = String(form.get("displayName") ?? "").trim();
  const role = roleOf(form.get("role")) ?? "PARTICIPANT";
  const pin = String(form.get("pin") ?? "").trim();
  if (!entity) return { error: "Give the invitee's SIP URI, e.g. sip:alice@example.com.", notice: null };
  if (!ENTITY_RE.test(entity)) return { error: `"${entity.slice(0, 60)}" is not a SIP URI; write it like sip:alice@example.com.`, notice: null };
  if (pin && !PIN_RE.test(pin)) return { error: "A PIN is 4 to 12 digits.", notice: null };
  try {
    await gql(session.token, ADD_USER, { conferenceId, input: { entity, role, ...(displayName ? { displayName } : {}), ...(pin ? { pin } : {}) } });
  } catch (err) {
    return { error: plainError(err), notice: null };
  }
  revalidatePath(editPath(conferenceId));
  return { error: null, notice: `Added ${displayName || entity}.` };
}

export async function updateInvitee(conferenceId: string, userId: string, oldRole: Role, _prev: UserFormState, form: FormData): Promise<UserFormState> {
  const session = await requireSession();
  const role = roleOf(form.get("role"));
  const pin = String(form.get("pin") ?? "").trim();
  const removePin = form.get("removePin") === "on";
  if (pin && !PIN_RE.test(pin)) return { error: "A PIN is 4 to 12 digits.", notice: null };
  const patch: Record<string, unknown> = {};
  if (role && role !== oldRole) patch.role = role;
  if (removePin) patch.pin = null;
  else if (pin) patch.pin = pin;
  if (Object.keys(patch).length === 0) return { error: "Nothing to save: change the role or type a PIN first.", notice: null };
  try {
    await gql(session.token, UPDATE_USER, { id: userId, patch });
  } catch (err) {
    return { error: plainError(err), notice: null };
  }
  revalidatePath(editPath(conferenceId));
  return { error: null, notice: "Saved." };
}

export async function removeInvitee(conferenceId: string, userId: string): Promise<ActionResult> {
  const session = await requireSession();
  return runAction(async () => {
    await gql(session.token, REMOVE_USER, { id: userId });
  }, editPath(conferenceId));
}

export interface CloneState {
  error: string | null;
}

const CLONE = `mutation ($id: ID!, $subject: String, $startAt: DateTime) { cloneConference(id: $id, subject: $subject, startAt: $startAt) { id } }`;

export async function cloneConference(id: string, timezone: string, _prev: CloneState, form: FormData): Promise<CloneState> {
  const session = await requireSession();
  const subject = String(form.get("subject") ?? "").trim();
  const start = String(form.get("start") ?? "");
  if (!subject) return { error: "Give the copy a subject." };
  const startAt = DateTime.fromISO(start, { zone: timezone });
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(start) || !startAt.isValid) return { error: "Give the copy's start date and time." };
  let cloneId: string;
  try {
    cloneId = (await gql<{ cloneConference: { id: string } }>(session.token, CLONE, { id, subject, startAt: startAt.toISO({ suppressMilliseconds: true }) })).cloneConference.id;
  } catch (err) {
    return { error: plainError(err) };
  }
  revalidatePath("/schedule");
  redirect(`/conferences/${encodeURIComponent(cloneId)}`);
}

export async function deleteConference(id: string): Promise<ActionResult> {
  const session = await requireSession();
  try {
    await gql(session.token, `mutation ($id: ID!) { deleteConference(id: $id) }`, { id });
  } catch (err) {
    return { error: plainError(err) };
  }
  revalidatePath("/schedule");
  redirect("/schedule");
}
