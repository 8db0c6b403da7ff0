"use client";
import { startTransition, useActionState, useEffect, useRef } from "react";
import { ActionButton } from "@/components/action-button";
import type { Role, User } from "@/lib/model";
import { addInvitee, removeInvitee, updateInvitee, type UserFormState } from "./actions";

const ROLES: [Role, string][] = [["ADMINISTRATOR", "Administrator"], ["MODERATOR", "Moderator"], ["PARTICIPANT", "Participant"], ["OBSERVER", "Observer"]];
const initial: UserFormState = { error: null, notice: null };

/**
 * Submits by hand: a <form action> would have React clear the fields even when the focus refused the change,
 * and what was typed must stay to be corrected. Cleared after a success instead.
 */
function useSubmit(state: UserFormState, action: (form: FormData) => void) {
  const ref = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (state.notice) ref.current?.reset();
  }, [state]);
  const onSubmit = (e: React.FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    startTransition(() => action(data));
  };
  return { ref, onSubmit };
}

function Outcome({ state }: { state: UserFormState }) {
  if (state.error) return <p role="alert" className="error">{state.error}</p>;
  if (state.notice) return <p role="status" className="notice">{state.notice}</p>;
  return null;
}

function InviteeItem({ conferenceId, user }: { conferenceId: string; user: User }) {
  const [state, action, pending] = useActionState(updateInvitee.bind(null, conferenceId, user.id, user.role), initial);
  const { ref, onSubmit } = useSubmit(state, action);
  const name = user.displayName || user.entity;
  return (
    <li className="card stack invitee-item">
      <div className="spread">
        <h3>{name}</h3>
        <span className="row">
          <span className="badge">{user.role.toLowerCase()}</span>
          <span className={user.hasPin ? "badge ok" : "badge"}>{user.hasPin ? "has a PIN" : "no PIN"}</span>
        </span>
      </div>
      {user.displayName && <p className="muted mono">{user.entity}</p>}
      <div className="row align-end">
        <form ref={ref} action={action} onSubmit={onSubmit} className="row align-end" aria-label={`Change ${name}`}>
          <label>
            Role
            <select name="role" defaultValue={user.role}>
              {ROLES.map(([r, label]) => <option key={r} value={r}>{label}</option>)}
            </select>
          </label>
          <label>
            New PIN
            <input name="pin" inputMode="numeric" autoComplete="off" maxLength={12} size={10} />
          </label>
          {user.hasPin && (
            <label className="inline">
              <input type="checkbox" name="removePin" />
              Remove PIN
            </label>
          )}
          <button type="submit" className="secondary" disabled={pending} aria-label={`Save ${name}`}>{pending ? "Saving…" : "Save"}</button>
        </form>
        <ActionButton action={removeInvitee.bind(null, conferenceId, user.id)} variant="danger" label={`Remove ${name}`}
          confirm={`Remove ${name} (${user.entity}) from the conference?`} confirmLabel="Remove">
          Remove
        </ActionButton>
      </div>
      <Outcome state={state} />
    </li>
  );
}

function AddInvitee({ conferenceId }: { conferenceId: string }) {
  const [state, action, pending] = useActionState(addInvitee.bind(null, conferenceId), initial);
  const { ref, onSubmit } = useSubmit(state, action);
  return (
    <form ref={ref} action={action} onSubmit={onSubmit} className="card stack" aria-labelledby="add-invitee">
      <h3 id="add-invitee">Add an invitee</h3>
      <div className="form-grid">
        <label>
          Entity (SIP URI)
          <input name="entity" placeholder="sip:alice@example.com" autoComplete="off" spellCheck={false} required aria-required />
        </label>
        <label>
          Display name
          <input name="displayName" />
        </label>
        <label>
          Role
          <select name="role" defaultValue="PARTICIPANT">
            {ROLES.map(([r, label]) => <option key={r} value={r}>{label}</option>)}
          </select>
        </label>
        <label>
          PIN (optional)
          <input name="pin" inputMode="numeric" autoComplete="off" maxLength={12} />
        </label>
      </div>
      <Outcome state={state} />
      <div><button type="submit" disabled={pending}>{pending ? "Adding…" : "Add invitee"}</button></div>
    </form>
  );
}

export function Invitees({ conferenceId, users }: { conferenceId: string; users: User[] }) {
  return (
    <div className="stack">
      {users.length === 0 ? <p className="empty">Nobody is invited yet.</p> : (
        <ul className="stack plain" aria-label="Invitees">
          {users.map((u) => <InviteeItem key={`${u.id}-${u.role}-${u.hasPin}`} conferenceId={conferenceId} user={u} />)}
        </ul>
      )}
      <AddInvitee conferenceId={conferenceId} />
    </div>
  );
}
