"use client";
import { useActionState } from "react";
import { signInWithPassword, signInWithToken, type SignInState } from "./actions";

const initial: SignInState = { error: null };

export function SignInForms() {
  const [pw, passwordAction, pwPending] = useActionState(signInWithPassword, initial);
  const [tk, tokenAction, tkPending] = useActionState(signInWithToken, initial);
  return (
    <div className="stack">
      <form action={passwordAction} className="card stack" aria-labelledby="with-password">
        <h2 id="with-password">With your account</h2>
        <label>
          User name
          <input name="username" autoComplete="username" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        {pw.error && <p role="alert" className="error">{pw.error}</p>}
        <button type="submit" disabled={pwPending}>{pwPending ? "Signing in…" : "Sign in"}</button>
      </form>
      <form action={tokenAction} className="card stack" aria-labelledby="with-token">
        <h2 id="with-token">With an API token</h2>
        <label>
          Token
          <input name="token" type="password" autoComplete="off" placeholder="dcon_…" required />
        </label>
        {tk.error && <p role="alert" className="error">{tk.error}</p>}
        <button type="submit" disabled={tkPending}>{tkPending ? "Checking…" : "Sign in with token"}</button>
      </form>
    </div>
  );
}
