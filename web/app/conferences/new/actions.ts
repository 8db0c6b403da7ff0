"use server";
import { redirect } from "next/navigation";
import { gql, plainError } from "@/lib/focus";
import { requireSession } from "@/lib/session";
import { rruleOf, startInstant, validateValues, valuesFromForm, type FormState } from "./form-values";

const CREATE = `mutation ($input: ConferenceInput!) { createConference(input: $input) { id } }`;

export async function createConference(_prev: FormState, form: FormData): Promise<FormState> {
  const session = await requireSession();
  const v = valuesFromForm(form);
  const errors = validateValues(v, "create");
  if (errors.length) return { errors };
  const input = {
    ...(v.blueprintId ? { blueprintId: v.blueprintId } : {}),
    subject: v.subject.trim(),
    description: v.description.trim(),
    startAt: startInstant(v),
    durationMin: Number(v.durationMin),
    timezone: v.timezone,
    rrule: rruleOf(v),
    joinHandling: v.joinHandling,
    ...(v.pin ? { pin: v.pin } : {}),
    maxUsers: Number(v.maxUsers),
    floorControlled: v.floorControlled,
    users: v.invitees.map((u) => ({
      entity: u.entity.trim(),
      ...(u.displayName.trim() ? { displayName: u.displayName.trim() } : {}),
      role: u.role,
      ...(u.pin ? { pin: u.pin } : {}),
    })),
  };
  let id: string;
  try {
    id = (await gql<{ createConference: { id: string } }>(session.token, CREATE, { input })).createConference.id;
  } catch (err) {
    return { errors: [{ field: "form", message: plainError(err) }] };
  }
  // Outside the try: redirect() works by throwing, and that must reach Next.
  redirect(`/conferences/${encodeURIComponent(id)}`);
}
