"use server";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { FocusError, gql, plainError } from "@/lib/focus";
import { clearSessionCookie, currentSession, sessionFromToken, setSessionCookie } from "@/lib/session";

export interface SignInState {
  error: string | null;
}

/** Cookies are marked Secure when the portal is reached over HTTPS (directly or behind a proxy). */
async function overHttps(): Promise<boolean> {
  const h = await headers();
  return h.get("x-forwarded-proto") === "https" || process.env.PORTAL_SECURE_COOKIE === "true";
}

export async function signInWithToken(_prev: SignInState, form: FormData): Promise<SignInState> {
  const token = String(form.get("token") ?? "").trim();
  if (!token) return { error: "Paste the API token you were given." };
  try {
    await sessionFromToken(token);
  } catch (err) {
    if (err instanceof FocusError && err.code === "UNAUTHENTICATED") return { error: "That token is not valid (unknown or revoked)." };
    return { error: plainError(err) };
  }
  await setSessionCookie(token, await overHttps(), "token");
  redirect("/");
}

export async function signInWithPassword(_prev: SignInState, form: FormData): Promise<SignInState> {
  const username = String(form.get("username") ?? "").trim();
  const password = String(form.get("password") ?? "");
  if (!username || !password) return { error: "Enter your user name and password." };
  let token: string;
  try {
    const r = await gql<{ signIn: { secret: string } }>(null, `mutation ($u: String!, $p: String!) { signIn(username: $u, password: $p) { secret } }`, { u: username, p: password });
    token = r.signIn.secret;
    await sessionFromToken(token);
  } catch (err) {
    return { error: plainError(err) };
  }
  await setSessionCookie(token, await overHttps(), "password");
  redirect("/");
}

/** Ends a password session at the focus too (its token is revoked); a pasted token stays valid elsewhere. */
export async function signOut(): Promise<void> {
  const s = await currentSession();
  if (s && s.sessionOfAccount) {
    try {
      await gql(s.token, `mutation { signOut { id } }`);
    } catch {
      // signing out of the portal must work even when the focus is away
    }
  }
  await clearSessionCookie();
  redirect("/sign-in");
}
