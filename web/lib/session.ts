/**
 * The moderator's session: the API token in an http-only, same-site cookie. Sign-in checks the token with
 * the focus (`me`) and accepts admins, integrators and conference tokens of chairs; everyone else is turned
 * away, since the portal only moderates.
 */
import "server-only";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { cache } from "react";
import { SESSION_COOKIE_NAME, SESSION_KIND_COOKIE_NAME } from "./cookie-names";
import { FocusError, gql } from "./focus";

export const SESSION_COOKIE = SESSION_COOKIE_NAME;
/** "password" when the session's token was issued by signIn (sign-out revokes it), "token" when pasted */
const KIND_COOKIE = SESSION_KIND_COOKIE_NAME;

export type TokenRole = "ADMIN" | "INTEGRATOR" | "CONFERENCE";

export interface Session {
  token: string;
  role: TokenRole;
  /** for a conference token: its conference and the chair it acts as */
  conferenceId: string | null;
  userName: string | null;
  sessionOfAccount: boolean;
}

interface MeResult {
  me: { role: TokenRole; conference: { id: string } | null; user: { displayName: string; entity: string; role: string } | null };
}

const ME = `query { me { role conference { id } user { displayName entity role } } }`;

/** Why a token may not use the portal, or null when it may. */
export function refusal(me: MeResult["me"]): string | null {
  if (me.role !== "CONFERENCE") return null;
  if (me.user && (me.user.role === "MODERATOR" || me.user.role === "ADMINISTRATOR")) return null;
  return "This token belongs to a participant. The portal is for moderators: sign in with an admin, integrator or moderator token.";
}

export async function sessionFromToken(token: string): Promise<Session> {
  const { me } = await gql<MeResult>(token, ME);
  const refused = refusal(me);
  if (refused) throw new FocusError("FORBIDDEN", refused);
  return { token, role: me.role, conferenceId: me.conference?.id ?? null, userName: me.user ? me.user.displayName || me.user.entity : null, sessionOfAccount: false };
}

/** The current session, or null when signed out or the token no longer works. Once per request. */
export const currentSession = cache(async (): Promise<Session | null> => {
  const jar = await cookies();
  const token = jar.get(SESSION_COOKIE)?.value;
  if (!token) return null;
  try {
    const s = await sessionFromToken(token);
    return { ...s, sessionOfAccount: jar.get(KIND_COOKIE)?.value === "password" };
  } catch (err) {
    if (err instanceof FocusError && (err.code === "UNAUTHENTICATED" || err.code === "FORBIDDEN")) return null;
    throw err;
  }
});

/** For pages and actions: the session, or off to the sign-in page. */
export async function requireSession(): Promise<Session> {
  const s = await currentSession();
  if (!s) redirect("/sign-in");
  return s;
}

export async function setSessionCookie(token: string, secure: boolean, kind: "token" | "password"): Promise<void> {
  const jar = await cookies();
  const options = { httpOnly: true, sameSite: "strict" as const, secure, path: "/", maxAge: 60 * 60 * 12 };
  jar.set(SESSION_COOKIE, token, options);
  jar.set(KIND_COOKIE, kind, options);
}

export async function clearSessionCookie(): Promise<void> {
  const jar = await cookies();
  jar.delete(SESSION_COOKIE);
  jar.delete(KIND_COOKIE);
}
