/**
 * GraphQL resolvers: authorize, then call the domain. No business rule lives here; each resolver is
 * "who may do this" plus a call. Access to a conference's objects (users, floors, requests) is decided on
 * the conference they belong to.
 */
import { DateTimeResolver, JSONResolver } from "graphql-scalars";
import type { ConferenceEvent, ConferenceSummary, StreamItem, UserState } from "@dcon/core";
import { DomainError, ErrorCode } from "@dcon/core";
import type { Db } from "@dcon/db";
import type { ApiContext } from "./context.ts";
import { authenticated, canAccess, isChair, requireAdmin, requireConference, requireGlobal, requireRoleGrant, requireSelfOrChair, AuthError } from "../auth/policy.ts";
import type { Principal } from "../auth/tokens.ts";

type Args = Record<string, any>;
type R<T = unknown> = (parent: any, args: Args, ctx: ApiContext) => Promise<T> | T;

const actorOf = (p: Principal) => (p.kind === "user" ? { kind: "user" as const, id: p.userId } : { kind: p.kind, id: p.tokenId });

function blueprintView(b: Db.Blueprint) {
  return { ...b, floors: JSON.parse(b.floors) };
}

/** Maps each item of a source iterator, passing return() through so a client's unsubscribe closes the source. */
function mapIterator<T, U>(source: AsyncIterator<T>, fn: (t: T) => U | null): AsyncIterableIterator<U> {
  const it: AsyncIterableIterator<U> = {
    async next() {
      for (;;) {
        const r = await source.next();
        if (r.done) return { value: undefined, done: true };
        const mapped = fn(r.value);
        if (mapped !== null) return { value: mapped, done: false };
      }
    },
    async return() {
      await source.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}

function streamItem(item: StreamItem) {
  return item.kind === "FULL_STATE" ? { kind: item.kind, state: item.state, event: null } : { kind: item.kind, state: null, event: item.event };
}

/** The live roster: a full list first, then again after every event that changes a user. */
function rosterFrom(source: AsyncIterator<StreamItem>) {
  const users = new Map<string, UserState>();
  return mapIterator(source, (item): UserState[] | null => {
    if (item.kind === "FULL_STATE") {
      users.clear();
      for (const u of item.state.users) users.set(u.id, u);
      return [...users.values()];
    }
    const e: ConferenceEvent = item.event;
    if (e.type === "USER_REMOVED") users.delete(e.payload.userId);
    else if ("user" in e.payload) users.set(e.payload.user.id, e.payload.user);
    else return null;
    return [...users.values()];
  });
}

async function conferenceOfUser(ctx: ApiContext, userId: string) {
  return ctx.domain.roster.get(userId);
}

async function conferenceOfRequest(ctx: ApiContext, requestId: string) {
  return ctx.domain.floors.getRequest(requestId);
}

const Query: Record<string, R> = {
  me: async (_p, _a, ctx) => {
    const p = authenticated(ctx.principal);
    if (p.kind !== "user") return { tokenId: p.tokenId, role: p.kind === "admin" ? "ADMIN" : "INTEGRATOR", conference: null, user: null };
    return { tokenId: p.tokenId, role: "CONFERENCE", conference: await ctx.domain.conferences.get(p.conferenceId), user: await ctx.domain.roster.get(p.userId) };
  },
  blueprints: async (_p, _a, ctx) => {
    requireGlobal(ctx.principal);
    return (await ctx.domain.conferences.listBlueprints()).map(blueprintView);
  },
  blueprint: async (_p, { id }, ctx) => {
    requireGlobal(ctx.principal);
    return blueprintView(await ctx.domain.conferences.getBlueprint(id));
  },
  conference: async (_p, { id }, ctx) => {
    requireConference(ctx.principal, id, "read");
    return ctx.domain.conferences.get(id);
  },
  conferences: async (_p, { first, after, filter }, ctx) => {
    const p = authenticated(ctx.principal);
    // A conference token sees only its own conference in listings (filtered in the query, so that pages and
    // cursors are of that conference alone).
    const id = p.kind === "user" ? p.conferenceId : null;
    const page = await ctx.domain.conferences.list({ first, after, id, from: filter?.from, to: filter?.to, status: filter?.status });
    return { nodes: page.items, pageInfo: { endCursor: page.endCursor, hasNextPage: page.hasNextPage } };
  },
  users: async (_p, { conferenceId }, ctx) => {
    requireConference(ctx.principal, conferenceId, "read");
    return ctx.domain.roster.list(conferenceId);
  },
  user: async (_p, { id }, ctx) => {
    const u = await ctx.domain.roster.get(id);
    requireConference(ctx.principal, u.conferenceId, "read");
    return u;
  },
  floor: async (_p, { id }, ctx) => {
    const f = await ctx.domain.floors.get(id);
    requireConference(ctx.principal, f.conferenceId, "read");
    return f;
  },
  sidebars: async (_p, { conferenceId }, ctx) => {
    requireConference(ctx.principal, conferenceId, "read");
    return ctx.domain.conferences.sidebars(conferenceId);
  },
  conferenceState: async (_p, { conferenceId }, ctx) => {
    requireConference(ctx.principal, conferenceId, "read");
    return ctx.domain.fullState(conferenceId);
  },
  events: async (_p, { conferenceId, afterSeq, limit }, ctx) => {
    requireConference(ctx.principal, conferenceId, "read");
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new DomainError(ErrorCode.BAD_USER_INPUT, "limit: 1 to 1000", undefined, "limit");
    await ctx.domain.conferences.get(conferenceId);
    return ctx.domain.eventsAfter(conferenceId, afterSeq, limit);
  },
  tokens: async (_p, _a, ctx) => {
    requireAdmin(ctx.principal);
    return ctx.tokens.list();
  },
  accounts: async (_p, _a, ctx) => {
    requireAdmin(ctx.principal);
    return ctx.accounts.list();
  },
  peerConferences: async (_p, { island }, ctx) => {
    authenticated(ctx.principal);
    if (!ctx.federation) throw new DomainError(ErrorCode.BAD_USER_INPUT, "this focus does not federate (no XMPP_SERVICE)", undefined, "island");
    return ctx.federation.discover(island);
  },
  federation: (_p, _a, ctx) => {
    authenticated(ctx.principal);
    return { island: ctx.domain.island, enabled: ctx.federation !== null, online: ctx.federation?.online ?? false, peers: ctx.federation?.status() ?? [] };
  },
};

const Mutation: Record<string, R> = {
  createBlueprint: async (_p, { input }, ctx) => {
    requireAdmin(ctx.principal);
    return blueprintView(await ctx.domain.conferences.createBlueprint(input));
  },
  deleteBlueprint: async (_p, { id }, ctx) => {
    requireAdmin(ctx.principal);
    await ctx.domain.conferences.deleteBlueprint(id);
    return id;
  },
  createConference: async (_p, { input }, ctx) => {
    const p = requireGlobal(ctx.principal);
    return ctx.domain.conferences.create(actorOf(p), input);
  },
  cloneConference: async (_p, { id, subject, startAt }, ctx) => {
    const p = requireGlobal(ctx.principal);
    return ctx.domain.conferences.clone(actorOf(p), id, { subject, startAt });
  },
  updateConference: async (_p, { id, patch }, ctx) => {
    const p = requireConference(ctx.principal, id, "moderate");
    return ctx.domain.conferences.update(actorOf(p), id, patch);
  },
  deleteConference: async (_p, { id }, ctx) => {
    const p = requireGlobal(ctx.principal);
    await ctx.domain.conferences.delete(actorOf(p), id);
    return id;
  },
  addUser: async (_p, { conferenceId, input }, ctx) => {
    const p = requireConference(ctx.principal, conferenceId, "moderate");
    requireRoleGrant(p, input.role);
    return ctx.domain.roster.add(actorOf(p), conferenceId, input);
  },
  updateUser: async (_p, { id, patch }, ctx) => {
    const target = await conferenceOfUser(ctx, id);
    const p = requireConference(ctx.principal, target.conferenceId, "moderate");
    requireRoleGrant(p, patch.role);
    if (target.role === "ADMINISTRATOR") requireRoleGrant(p, "ADMINISTRATOR");
    return ctx.domain.roster.update(actorOf(p), id, patch);
  },
  removeUser: async (_p, { id }, ctx) => {
    const target = await conferenceOfUser(ctx, id);
    const p = requireConference(ctx.principal, target.conferenceId, "moderate");
    if (target.role === "ADMINISTRATOR") requireRoleGrant(p, "ADMINISTRATOR");
    await ctx.domain.roster.remove(actorOf(p), id);
    return id;
  },
  createSidebar: async (_p, { parentId, input }, ctx) => {
    const p = requireConference(ctx.principal, parentId, "moderate");
    for (const u of input.users ?? []) requireRoleGrant(p, u.role);
    return ctx.domain.conferences.createSidebar(actorOf(p), parentId, input);
  },
  joinConference: async (_p, { conferenceId, entity, displayName, pin }, ctx) => {
    const p = requireConference(ctx.principal, conferenceId, "read");
    if (p.kind === "user" && entity) throw new AuthError("FORBIDDEN", "a conference token joins as its own user: leave out entity");
    if (p.kind !== "user" && !entity) throw new DomainError(ErrorCode.BAD_USER_INPUT, "entity: give the URI of the user to join", undefined, "entity");
    const join = () => ctx.domain.roster.join(actorOf(p), conferenceId, p.kind === "user" ? { userId: p.userId, displayName, pin, via: "api" } : { entity, displayName, pin, via: "api" });
    // a PIN is a secret to guess: wrong ones are limited per token (limits.ts)
    return pin ? ctx.limits.pinAttempt(p.tokenId, ctx.clientAddress, join) : join();
  },
  leaveConference: async (_p, { userId }, ctx) => {
    const p = requireSelfOrChair(ctx.principal, await conferenceOfUser(ctx, userId));
    return ctx.domain.roster.leave(actorOf(p), userId);
  },
  linkConference: async (_p, { id, island }, ctx) => ctx.domain.federation.link(actorOf(requireConference(ctx.principal, id, "moderate")), id, island),
  lockConference: async (_p, { id }, ctx) => ctx.domain.conferences.setLocked(actorOf(requireConference(ctx.principal, id, "moderate")), id, true),
  unlockConference: async (_p, { id }, ctx) => ctx.domain.conferences.setLocked(actorOf(requireConference(ctx.principal, id, "moderate")), id, false),
  endConference: async (_p, { id }, ctx) => ctx.domain.conferences.end(actorOf(requireConference(ctx.principal, id, "moderate")), id),
  muteUser: async (_p, { id }, ctx) => {
    const p = requireSelfOrChair(ctx.principal, await conferenceOfUser(ctx, id));
    return ctx.domain.roster.setMuted(actorOf(p), id, true);
  },
  unmuteUser: async (_p, { id }, ctx) => {
    const p = requireSelfOrChair(ctx.principal, await conferenceOfUser(ctx, id), "participate");
    return ctx.domain.roster.setMuted(actorOf(p), id, false);
  },
  muteAll: async (_p, { conferenceId }, ctx) => ctx.domain.roster.muteAll(actorOf(requireConference(ctx.principal, conferenceId, "moderate")), conferenceId),
  kickUser: async (_p, { id }, ctx) => {
    const p = requireConference(ctx.principal, (await conferenceOfUser(ctx, id)).conferenceId, "moderate");
    return ctx.domain.roster.kick(actorOf(p), id);
  },
  admitUser: async (_p, { id }, ctx) => {
    const p = requireConference(ctx.principal, (await conferenceOfUser(ctx, id)).conferenceId, "moderate");
    return ctx.domain.roster.admit(actorOf(p), id);
  },
  refuseUser: async (_p, { id }, ctx) => {
    const p = requireConference(ctx.principal, (await conferenceOfUser(ctx, id)).conferenceId, "moderate");
    return ctx.domain.roster.refuse(actorOf(p), id);
  },
  requestFloor: async (_p, { floorId, userId, priority }, ctx) => {
    const floor = await ctx.domain.floors.get(floorId);
    const p = requireConference(ctx.principal, floor.conferenceId, "participate");
    const forUser = userId ?? (p.kind === "user" ? p.userId : null);
    if (!forUser) throw new DomainError(ErrorCode.BAD_USER_INPUT, "userId: an admin or integrator token asks for the floor on behalf of a user", undefined, "userId");
    if (p.kind === "user" && forUser !== p.userId && !isChair(p)) throw new AuthError("FORBIDDEN", "only a chair may ask for the floor on behalf of another user");
    const target = await ctx.domain.roster.get(forUser);
    if (target.role === "OBSERVER") throw new AuthError("FORBIDDEN", "an OBSERVER never holds a floor");
    return ctx.domain.floors.request(actorOf(p), floorId, forUser, priority);
  },
  releaseFloor: async (_p, { requestId }, ctx) => {
    const r = await conferenceOfRequest(ctx, requestId);
    const p = requireSelfOrChair(ctx.principal, { id: r.userId, conferenceId: r.conferenceId });
    return ctx.domain.floors.release(actorOf(p), requestId);
  },
  grantFloor: async (_p, { requestId }, ctx) => {
    const r = await conferenceOfRequest(ctx, requestId);
    return ctx.domain.floors.grant(actorOf(requireConference(ctx.principal, r.conferenceId, "moderate")), requestId);
  },
  denyFloor: async (_p, { requestId }, ctx) => {
    const r = await conferenceOfRequest(ctx, requestId);
    return ctx.domain.floors.deny(actorOf(requireConference(ctx.principal, r.conferenceId, "moderate")), requestId);
  },
  revokeFloor: async (_p, { requestId }, ctx) => {
    const r = await conferenceOfRequest(ctx, requestId);
    return ctx.domain.floors.revoke(actorOf(requireConference(ctx.principal, r.conferenceId, "moderate")), requestId);
  },
  issueToken: async (_p, { name, role }, ctx) => {
    requireAdmin(ctx.principal);
    if (role === "CONFERENCE") throw new DomainError(ErrorCode.BAD_USER_INPUT, "role: use issueConferenceToken for CONFERENCE tokens", undefined, "role");
    const { token, secret } = await ctx.tokens.issueGlobal(name, role);
    return { token: token, secret };
  },
  issueConferenceToken: async (_p, { userId, name }, ctx) => {
    const user = await conferenceOfUser(ctx, userId);
    const p = requireConference(ctx.principal, user.conferenceId, "moderate");
    if (user.role === "ADMINISTRATOR") requireRoleGrant(p, "ADMINISTRATOR");
    const { token, secret } = await ctx.tokens.issueForUser(name, user);
    return { token: token, secret };
  },
  revokeToken: async (_p, { id }, ctx) => {
    const p = authenticated(ctx.principal);
    const t = await ctx.tokens.get(id);
    if (p.kind !== "admin") {
      // Global tokens are the admin's. A user may revoke their own tokens; chairs those of their conference,
      // except an ADMINISTRATOR's, which (like issuing one) takes an ADMINISTRATOR or a global token.
      if (!t.conferenceId) throw new AuthError("FORBIDDEN", "only an admin token may revoke a global token");
      const own = p.kind === "user" && t.userId === p.userId;
      if (!own) {
        requireConference(p, t.conferenceId, "moderate");
        if (t.userId && (await ctx.domain.roster.get(t.userId)).role === "ADMINISTRATOR") requireRoleGrant(p, "ADMINISTRATOR");
      }
    }
    return ctx.tokens.revoke(id);
  },
  createAccount: async (_p, { username, password, role }, ctx) => {
    requireAdmin(ctx.principal);
    return ctx.accounts.create({ username, password, role });
  },
  setAccountPassword: async (_p, { id, password }, ctx) => {
    requireAdmin(ctx.principal);
    return ctx.accounts.setPassword(id, password);
  },
  deleteAccount: async (_p, { id }, ctx) => {
    requireAdmin(ctx.principal);
    await ctx.accounts.delete(id);
    return id;
  },
  // the one operation without a token: it is how a person gets one
  // (limited per client address and per user name before the password is checked: limits.ts)
  signIn: async (_p, { username, password }, ctx) => ctx.limits.signIn(ctx.clientAddress, username, () => ctx.accounts.signIn(username, password)),
  signOut: async (_p, _a, ctx) => ctx.tokens.revoke(authenticated(ctx.principal).tokenId),
};

const Subscription = {
  conferenceEvents: {
    subscribe: async (_p: unknown, { conferenceId, sinceSeq }: Args, ctx: ApiContext) => {
      requireConference(ctx.principal, conferenceId, "read");
      await ctx.domain.conferences.get(conferenceId);
      if (sinceSeq != null && (!Number.isInteger(sinceSeq) || sinceSeq < 0)) {
        throw new DomainError(ErrorCode.BAD_USER_INPUT, "sinceSeq: a seq of 0 or more", undefined, "sinceSeq");
      }
      return mapIterator(ctx.domain.stream({ conferenceId, sinceSeq }), streamItem);
    },
    resolve: (item: unknown) => item,
  },
  roster: {
    subscribe: async (_p: unknown, { conferenceId }: Args, ctx: ApiContext) => {
      requireConference(ctx.principal, conferenceId, "read");
      await ctx.domain.conferences.get(conferenceId);
      return rosterFrom(ctx.domain.stream({ conferenceId }));
    },
    resolve: (users: unknown) => users,
  },
};

const Conference: Record<string, R> = {
  islands: (c: ConferenceSummary, _a, ctx) => ctx.domain.federation.islandsOf(c.id),
  blueprint: async (c: ConferenceSummary, _a, ctx) => {
    if (!c.blueprintId) return null;
    const b = await ctx.domain.store.db.blueprint.findUnique({ where: { id: c.blueprintId } });
    return b ? blueprintView(b) : null;
  },
  parent: async (c: ConferenceSummary, _a, ctx) => {
    if (!c.parentId) return null;
    return ctx.principal && canAccess(ctx.principal, c.parentId, "read") ? ctx.domain.conferences.get(c.parentId) : null;
  },
  // Nested fields are checked on the conference they belong to: a sidebar by reference reached from its
  // parent is another conference, whose users a token of the parent may not read.
  sidebars: (c: ConferenceSummary, _a, ctx) => (requireConference(ctx.principal, c.id, "read"), ctx.domain.conferences.sidebars(c.id)),
  users: (c: ConferenceSummary, _a, ctx) => (requireConference(ctx.principal, c.id, "read"), ctx.domain.roster.list(c.id)),
  floors: (c: ConferenceSummary, _a, ctx) => (requireConference(ctx.principal, c.id, "read"), ctx.domain.floors.list(c.id)),
  occurrences: (c: ConferenceSummary, { from, to }, ctx) => (requireConference(ctx.principal, c.id, "read"), ctx.domain.conferences.occurrences(c.id, from, to)),
  icsPath: (c: ConferenceSummary) => `/conferences/${encodeURIComponent(c.id)}.ics`,
  version: async (c: ConferenceSummary, _a, ctx) => (await ctx.domain.store.conferenceRow(ctx.domain.store.db, c.id)).eventSeq,
};

export const resolvers = {
  DateTime: DateTimeResolver,
  JSON: JSONResolver,
  Query,
  Mutation,
  Subscription,
  Conference,
};
