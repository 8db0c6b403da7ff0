"use client";
import { useActionState } from "react";
import { cloneConference, type CloneState } from "./actions";

/** A copy with the settings, floors and invitees of this conference, under a new subject and start. */
export function CloneForm({ id, timezone, subject, start }: { id: string; timezone: string; subject: string; start: string }) {
  const [state, action, pending] = useActionState(cloneConference.bind(null, id, timezone), { error: null } as CloneState);
  return (
    <form action={action} className="stack" aria-labelledby="clone-heading">
      <div className="form-grid">
        <label>
          Subject of the copy
          <input name="subject" defaultValue={subject} required aria-required />
        </label>
        <label>
          Start of the copy ({timezone.replaceAll("_", " ")})
          <input type="datetime-local" name="start" defaultValue={start} required aria-required />
        </label>
      </div>
      {state.error && <p role="alert" className="error">{state.error}</p>}
      <div><button type="submit" className="secondary" disabled={pending}>{pending ? "Cloning…" : "Clone"}</button></div>
    </form>
  );
}
