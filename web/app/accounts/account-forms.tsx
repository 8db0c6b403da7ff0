"use client";
import { useActionState } from "react";
import { createAccount, setAccountPassword, type AccountFormState } from "./actions";

const initial: AccountFormState = { error: null, message: null };

export function CreateAccountForm() {
  const [state, action, pending] = useActionState(createAccount, initial);
  return (
    <form action={action} className="card stack" aria-labelledby="new-account">
      <h2 id="new-account">New account</h2>
      <label>
        User name
        <input name="username" defaultValue={state.username ?? ""} required minLength={3} maxLength={64} pattern="[a-z0-9._\-]{3,64}" autoComplete="off" aria-describedby="username-hint" />
      </label>
      <p id="username-hint" className="muted small">3 to 64 characters: lower-case letters, digits, “.”, “_” and “-”.</p>
      <label>
        Password
        <input name="password" type="password" required minLength={10} maxLength={200} autoComplete="new-password" aria-describedby="password-hint" />
      </label>
      <p id="password-hint" className="muted small">At least 10 characters.</p>
      <fieldset>
        <legend>Role</legend>
        <label className="inline">
          <input type="radio" name="role" value="INTEGRATOR" defaultChecked={state.role !== "ADMIN"} /> Integrator: schedules and runs any conference
        </label>
        <label className="inline">
          <input type="radio" name="role" value="ADMIN" defaultChecked={state.role === "ADMIN"} /> Admin: everything, including accounts
        </label>
      </fieldset>
      {state.error && <p role="alert" className="error">{state.error}</p>}
      {state.message && <p role="status" className="notice">{state.message}</p>}
      <div>
        <button type="submit" disabled={pending}>{pending ? "Creating…" : "Create account"}</button>
      </div>
    </form>
  );
}

export function ResetPasswordForm({ id, username }: { id: string; username: string }) {
  const [state, action, pending] = useActionState(setAccountPassword, initial);
  return (
    <details>
      <summary>
        Reset password<span className="sr-only"> for {username}</span>
      </summary>
      <form action={action} className="stack reset-form" aria-label={`Reset the password of ${username}`}>
        <input type="hidden" name="id" value={id} />
        <label>
          New password for {username}
          <input name="password" type="password" required minLength={10} maxLength={200} autoComplete="new-password" />
        </label>
        {state.error && <p role="alert" className="error">{state.error}</p>}
        {state.message && <p role="status" className="notice">{state.message}</p>}
        <div>
          <button type="submit" disabled={pending} aria-label={`Set password for ${username}`}>{pending ? "Saving…" : "Set password"}</button>
        </div>
      </form>
    </details>
  );
}
