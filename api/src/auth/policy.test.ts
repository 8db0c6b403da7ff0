import { AuthError, canAccess, requireConference, requireGlobal, requireRoleGrant, requireSelfOrChair } from "./policy.ts";
import type { Principal } from "./tokens.ts";

const user = (role: "ADMINISTRATOR" | "MODERATOR" | "PARTICIPANT" | "OBSERVER", conferenceId = "c1"): Principal =>
  ({ kind: "user", tokenId: "t", conferenceId, userId: `u-${role}`, role });

describe("authorization policy", () => {
  it("ranks conference roles: observers read, participants take part, chairs moderate", () => {
    expect(canAccess(user("OBSERVER"), "c1", "read")).toBe(true);
    expect(canAccess(user("OBSERVER"), "c1", "participate")).toBe(false);
    expect(canAccess(user("PARTICIPANT"), "c1", "participate")).toBe(true);
    expect(canAccess(user("PARTICIPANT"), "c1", "moderate")).toBe(false);
    expect(canAccess(user("MODERATOR"), "c1", "moderate")).toBe(true);
    expect(canAccess(user("ADMINISTRATOR"), "c2", "read")).toBe(false);
    expect(canAccess({ kind: "integrator", tokenId: "i" }, "any", "moderate")).toBe(true);
  });

  it("throws UNAUTHENTICATED without a principal and FORBIDDEN across conferences", () => {
    expect(() => requireConference(null, "c1", "read")).toThrow(expect.objectContaining({ code: "UNAUTHENTICATED" }));
    expect(() => requireConference(user("MODERATOR", "c2"), "c1", "read")).toThrow(AuthError);
    expect(() => requireGlobal(user("ADMINISTRATOR"))).toThrow(expect.objectContaining({ code: "FORBIDDEN" }));
  });

  it("lets users act on themselves, and chairs on anyone of their conference", () => {
    const me = user("PARTICIPANT");
    expect(requireSelfOrChair(me, { id: "u-PARTICIPANT", conferenceId: "c1" })).toBe(me);
    expect(() => requireSelfOrChair(me, { id: "someone", conferenceId: "c1" })).toThrow(AuthError);
    expect(() => requireSelfOrChair(user("OBSERVER"), { id: "u-OBSERVER", conferenceId: "c1" }, "participate")).toThrow(AuthError);
    expect(requireSelfOrChair(user("MODERATOR"), { id: "someone", conferenceId: "c1" }).kind).toBe("user");
  });

  it("keeps the ADMINISTRATOR role for administrators", () => {
    expect(() => requireRoleGrant(user("MODERATOR"), "ADMINISTRATOR")).toThrow(AuthError);
    expect(() => requireRoleGrant(user("MODERATOR"), "PARTICIPANT")).not.toThrow();
    expect(() => requireRoleGrant(user("ADMINISTRATOR"), "ADMINISTRATOR")).not.toThrow();
  });
});
