/**
 * Authorization by role. Global tokens: admin does everything; integrator runs any conference but
 * manages no global tokens or blueprints. Conference tokens act inside their own conference with the
 * user's role: OBSERVER reads, PARTICIPANT also takes part (joins, asks for the floor), MODERATOR and
 * ADMINISTRATOR chair it.
 */
import { CHAIR_ROLES, type Role } from "@dcon/core";
import type { Principal } from "./tokens.ts";

export type Access = "read" | "participate" | "moderate";

export class AuthError extends Error {
  override readonly name = "AuthError";
  constructor(readonly code: "UNAUTHENTICATED" | "FORBIDDEN", message: string) {
    super(message);
  }
}

export function authenticated(p: Principal | null): Principal {
  if (!p) throw new AuthError("UNAUTHENTICATED", "send a valid API token: Authorization: Bearer <token>");
  return p;
}

export function requireAdmin(p: Principal | null): Principal {
  const q = authenticated(p);
  if (q.kind !== "admin") throw new AuthError("FORBIDDEN", "only an admin token may do this");
  return q;
}

/** admin or integrator */
export function requireGlobal(p: Principal | null): Principal {
  const q = authenticated(p);
  if (q.kind === "user") throw new AuthError("FORBIDDEN", "a conference token may not do this; use an admin or integrator token");
  return q;
}

const RANK: Record<Role, number> = { OBSERVER: 0, PARTICIPANT: 1, MODERATOR: 2, ADMINISTRATOR: 3 };
const NEEDS: Record<Access, number> = { read: 0, participate: 1, moderate: 2 };

export function canAccess(p: Principal, conferenceId: string, access: Access): boolean {
  if (p.kind !== "user") return true;
  return p.conferenceId === conferenceId && RANK[p.role] >= NEEDS[access];
}

export function requireConference(p: Principal | null, conferenceId: string, access: Access): Principal {
  const q = authenticated(p);
  if (!canAccess(q, conferenceId, access)) {
    throw new AuthError("FORBIDDEN", q.kind === "user" && q.conferenceId !== conferenceId
      ? "this token belongs to another conference"
      : `your role in this conference may not ${access}`);
  }
  return q;
}

/** The user themself (with at least `access` as own right) or a chair of the user's conference. */
export function requireSelfOrChair(p: Principal | null, target: { id: string; conferenceId: string }, access: Access = "read"): Principal {
  const q = authenticated(p);
  if (q.kind === "user" && q.userId === target.id && q.conferenceId === target.conferenceId && RANK[q.role] >= NEEDS[access]) return q;
  return requireConference(q, target.conferenceId, "moderate");
}

export function isChair(p: Principal): boolean {
  return p.kind !== "user" || CHAIR_ROLES.includes(p.role);
}

/** Giving the ADMINISTRATOR role takes an admin/integrator token or an ADMINISTRATOR of the conference. */
export function requireRoleGrant(p: Principal, role: Role | null | undefined): void {
  if (role === "ADMINISTRATOR" && p.kind === "user" && p.role !== "ADMINISTRATOR") {
    throw new AuthError("FORBIDDEN", "only an ADMINISTRATOR of the conference may give the ADMINISTRATOR role");
  }
}
