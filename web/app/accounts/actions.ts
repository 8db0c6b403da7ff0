"use server";
import { revalidatePath } from "next/cache";
import type { ActionResult } from "@/lib/action-result";
import { gql, plainError } from "@/lib/focus";
import { runAction } from "@/lib/run-action";
import { requireSession } from "@/lib/session";

export interface AccountFormState {
  error: string | null;
  message: string | null;
  /** what the form shows again after a refusal (React resets a form once its action is done) */
  username?: string;
  role?: string;
}

export async function createAccount(_prev: AccountFormState, form: FormData): Promise<AccountFormState> {
  const s = await requireSession();
  const username = String(form.get("username") ?? "").trim();
  const password = String(form.get("password") ?? "");
  const role = String(form.get("role") ?? "");
  const again = { username, role };
  if (!username || !password) return { error: "Enter a user name and a password.", message: null, ...again };
  if (role !== "ADMIN" && role !== "INTEGRATOR") return { error: "Choose the account's role: admin or integrator.", message: null, ...again };
  try {
    const r = await gql<{ createAccount: { username: string } }>(
      s.token,
      `mutation ($u: String!, $p: String!, $r: TokenRole!) { createAccount(username: $u, password: $p, role: $r) { username } }`,
      { u: username, p: password, r: role },
    );
    revalidatePath("/accounts");
    return { error: null, message: `Account ${r.createAccount.username} created. Pass the password on safely; the portal does not show it again.` };
  } catch (err) {
    return { error: plainError(err), message: null, ...again };
  }
}

export async function setAccountPassword(_prev: AccountFormState, form: FormData): Promise<AccountFormState> {
  const s = await requireSession();
  const id = String(form.get("id") ?? "");
  const password = String(form.get("password") ?? "");
  if (!password) return { error: "Enter the new password.", message: null };
  try {
    const r = await gql<{ setAccountPassword: { username: string } }>(
      s.token,
      `mutation ($id: ID!, $p: String!) { setAccountPassword(id: $id, password: $p) { username } }`,
      { id, p: password },
    );
    return { error: null, message: `New password set for ${r.setAccountPassword.username}; their open sessions have ended.` };
  } catch (err) {
    return { error: plainError(err), message: null };
  }
}

export async function deleteAccount(id: string): Promise<ActionResult> {
  const s = await requireSession();
  return runAction(async () => {
    await gql(s.token, `mutation ($id: ID!) { deleteAccount(id: $id) }`, { id });
  }, "/accounts");
}
