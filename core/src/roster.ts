/**
 * The roster: users of a conference (RFC 6501 <users>), joining (join handling ALLOW / LOBBY / PIN),
 * and moderation of participants (mute, kick, admit, refuse). Transports (GraphQL, SIP) call these;
 * each writes its events, which the transports then act on (a SIP leg hangs up on USER_KICKED).
 */
import type { Actor } from "./events.ts";
import type { Store, Tx } from "./store.ts";
import type { Role, UserState } from "./state.ts";
import { CHAIR_ROLES } from "./state.ts";
import { userView } from "./views.ts";
import { closeUserFloorRequests } from "./floors.ts";
import { badInput, conflict, DomainError, ErrorCode, ErrorReason, notFound } from "./errors.ts";
import { hashPin, validatePin, verifyPin } from "./pin.ts";
import { userData, type UserSpec } from "./conferences.ts";
import * as check from "./validate.ts";

export interface JoinRequest {
  /** an existing user of the conference; or else `entity` */
  userId?: string | null;
  entity?: string | null;
  displayName?: string | null;
  pin?: string | null;
  /** transport: "sip", "api", ... */
  via: string;
  /**
   * the joining party is a peer island's focus carrying its island's audio (DCON's cascade), already
   * authenticated by the transport: no PIN, no lobby
   */
  peerFocus?: boolean;
}

export interface UserPatch {
  role?: Role | null;
  displayName?: string | null;
  email?: string | null;
  pin?: string | null;
}

const PRESENT = ["CONNECTED", "LOBBY"] as const;

export class Roster {
  constructor(private readonly store: Store) {}

  async list(conferenceId: string): Promise<UserState[]> {
    await this.store.conferenceRow(this.store.db, conferenceId);
    const rows = await this.store.db.conferenceUser.findMany({ where: { conferenceId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
    return rows.map(userView);
  }

  async get(userId: string): Promise<UserState> {
    return userView(await this.store.userRow(this.store.db, userId));
  }

  async add(actor: Actor, conferenceId: string, spec: UserSpec): Promise<UserState> {
    const data = userData(spec, "user", this.store.island);
    return this.store.mutate(actor, async (tx, emit) => {
      await this.store.conferenceRow(tx, conferenceId);
      if (await tx.conferenceUser.findUnique({ where: { conferenceId_entity: { conferenceId, entity: data.entity } } })) {
        throw conflict(`${data.entity} is a user of this conference already`, ErrorReason.DUPLICATE);
      }
      const user = userView(await tx.conferenceUser.create({ data: { ...data, conferenceId } }));
      await emit(conferenceId, "USER_ADDED", { user });
      return user;
    });
  }

  async update(actor: Actor, userId: string, patch: UserPatch): Promise<UserState> {
    return this.store.mutate(actor, async (tx, emit) => {
      const u = await this.store.userRow(tx, userId);
      const data: Record<string, unknown> = {};
      if (patch.role != null) data.role = patch.role;
      if (patch.displayName != null) data.displayName = check.text("displayName", patch.displayName, { max: 120 });
      if (patch.email !== undefined) data.email = patch.email ? check.email("email", patch.email) : null;
      if (patch.pin !== undefined) data.pinHash = patch.pin ? hashPin(validatePin(patch.pin)) : null;
      const changed = Object.keys(data).map((k) => (k === "pinHash" ? "pin" : k));
      if (changed.length === 0) throw badInput("patch", "nothing to change");
      // An OBSERVER never holds a floor: a demotion ends the user's floor requests.
      if (patch.role === "OBSERVER" && u.role !== "OBSERVER") await closeUserFloorRequests(tx, emit, u.conferenceId, userId);
      const user = userView(await tx.conferenceUser.update({ where: { id: userId }, data }));
      await emit(u.conferenceId, "USER_UPDATED", { user, changed });
      return user;
    });
  }

  async remove(actor: Actor, userId: string): Promise<void> {
    await this.store.mutate(actor, async (tx, emit) => {
      const u = await this.store.userRow(tx, userId);
      await tx.conferenceUser.delete({ where: { id: userId } });
      await emit(u.conferenceId, "USER_REMOVED", { userId });
    });
  }

  /**
   * Admission control for a joining user. Order of checks: conference active, not locked, PIN (when
   * join handling is PIN), capacity; then chairs go straight in and others wait in the lobby when
   * join handling is LOBBY. A per-user PIN identifies the caller as that user.
   */
  async join(actor: Actor, conferenceId: string, req: JoinRequest): Promise<UserState> {
    const via = check.text("via", req.via, { min: 1, max: 16 });
    return this.store.mutate(actor, async (tx, emit) => {
      const c = await this.store.conferenceRow(tx, conferenceId);
      if (c.status !== "ACTIVE") throw conflict("the conference is not in progress", ErrorReason.CONFERENCE_NOT_ACTIVE);
      if (c.locked) throw conflict("the conference is locked", ErrorReason.CONFERENCE_LOCKED);

      let user = req.userId ? await tx.conferenceUser.findFirst({ where: { id: req.userId, conferenceId } }) : null;
      if (req.userId && !user) throw notFound("user", req.userId);
      if (!user && req.entity) {
        user = await tx.conferenceUser.findUnique({ where: { conferenceId_entity: { conferenceId, entity: check.entity("entity", req.entity) } } });
      }
      if (c.joinHandling === "PIN" && !req.peerFocus && c.homeIsland !== this.store.island) {
        // PIN hashes stay on the home island (they never travel in events): a replica cannot check one.
        throw new DomainError(ErrorCode.FORBIDDEN, `this conference's PINs are checked on its home island, ${c.homeIsland}: call in there`);
      }
      if (c.joinHandling === "PIN" && !req.peerFocus) {
        if (!req.pin) throw new DomainError(ErrorCode.FORBIDDEN, "this conference needs a PIN", ErrorReason.PIN_REQUIRED);
        const owner = user && verifyPin(req.pin, user.pinHash) ? user : await findPinOwner(tx, conferenceId, req.pin);
        if (owner) user = owner;
        else if (!verifyPin(req.pin, c.pinHash)) throw new DomainError(ErrorCode.FORBIDDEN, "wrong PIN", ErrorReason.WRONG_PIN);
      }
      if (user && PRESENT.includes(user.joinState as (typeof PRESENT)[number])) {
        throw conflict(`${user.entity} is in the conference already`, ErrorReason.DUPLICATE);
      }
      const present = await tx.conferenceUser.count({ where: { conferenceId, joinState: { in: [...PRESENT] } } });
      if (present >= c.maxUsers) throw conflict("the conference is full", ErrorReason.CONFERENCE_FULL);

      if (!user) {
        if (!req.entity) throw badInput("entity", "give the joining user's URI");
        user = await tx.conferenceUser.create({
          data: { ...userData({ entity: req.entity, displayName: req.displayName ?? null }, "join", this.store.island), conferenceId },
        });
        await emit(conferenceId, "USER_ADDED", { user: userView(user) });
      }
      const toLobby = c.joinHandling === "LOBBY" && !CHAIR_ROLES.includes(user.role) && !req.peerFocus;
      // The name a moderator gave an invited user wins over the one the caller's phone sends.
      const rename = req.displayName && !user.displayName ? { displayName: check.text("displayName", req.displayName, { max: 120 }) } : {};
      const joined = userView(await tx.conferenceUser.update({
        where: { id: user.id },
        data: { joinState: toLobby ? "LOBBY" : "CONNECTED", via, muted: false, talking: false, ...rename },
      }));
      await emit(conferenceId, toLobby ? "USER_IN_LOBBY" : "USER_JOINED", { user: joined });
      return joined;
    });
  }

  async leave(actor: Actor, userId: string): Promise<UserState> {
    return this.transition(actor, userId, ["CONNECTED", "LOBBY"], { joinState: "DISCONNECTED", via: null }, "USER_LEFT", "is not in the conference");
  }

  /**
   * Every user who joined through this island over transport `via` and is still connected or in the lobby
   * leaves, as by `leave` (floor requests closed, USER_LEFT): for a transport whose connections all ended
   * without telling (the focus process died and restarted), so their presence is known to be stale. One
   * transaction per conference; a user who left meanwhile is skipped. Returns the users who left.
   */
  async leaveAllVia(actor: Actor, via: string): Promise<UserState[]> {
    const stale = await this.store.db.conferenceUser.findMany({
      where: { via, island: this.store.island, joinState: { in: [...PRESENT] } },
      select: { id: true, conferenceId: true },
      orderBy: [{ conferenceId: "asc" }, { createdAt: "asc" }, { id: "asc" }],
    });
    const byConference = new Map<string, string[]>();
    for (const u of stale) byConference.set(u.conferenceId, [...(byConference.get(u.conferenceId) ?? []), u.id]);
    const left: UserState[] = [];
    for (const [conferenceId, userIds] of byConference) {
      left.push(...await this.store.mutate(actor, async (tx, emit) => {
        const done: UserState[] = [];
        for (const id of userIds) {
          // conditional: a kick or a leave committed since the read wins, and writes no second event
          const { count } = await tx.conferenceUser.updateMany({
            where: { id, via, joinState: { in: [...PRESENT] } },
            data: { joinState: "DISCONNECTED", via: null, talking: false },
          });
          if (count === 0) continue;
          await closeUserFloorRequests(tx, emit, conferenceId, id);
          const user = userView(await this.store.userRow(tx, id));
          await emit(conferenceId, "USER_LEFT", { user });
          done.push(user);
        }
        return done;
      }));
    }
    return left;
  }

  async admit(actor: Actor, userId: string): Promise<UserState> {
    const remote = await this.store.forwardIfRemote<UserState>(await this.store.islandOfUser(userId), { op: "admit", userId }, actor);
    if (remote) return remote.result;
    return this.transition(actor, userId, ["LOBBY"], { joinState: "CONNECTED" }, "USER_ADMITTED", "is not waiting in the lobby");
  }

  async refuse(actor: Actor, userId: string): Promise<UserState> {
    const remote = await this.store.forwardIfRemote<UserState>(await this.store.islandOfUser(userId), { op: "refuse", userId }, actor);
    if (remote) return remote.result;
    return this.transition(actor, userId, ["LOBBY"], { joinState: "DISCONNECTED", via: null }, "USER_REFUSED", "is not waiting in the lobby");
  }

  async kick(actor: Actor, userId: string): Promise<UserState> {
    const remote = await this.store.forwardIfRemote<UserState>(await this.store.islandOfUser(userId), { op: "kick", userId }, actor);
    if (remote) return remote.result;
    return this.transition(actor, userId, ["CONNECTED", "LOBBY"], { joinState: "DISCONNECTED", via: null }, "USER_KICKED", "is not in the conference");
  }

  async setMuted(actor: Actor, userId: string, muted: boolean): Promise<UserState> {
    const remote = await this.store.forwardIfRemote<UserState>(await this.store.islandOfUser(userId), { op: "setMuted", userId, muted }, actor);
    if (remote) return remote.result;
    return this.store.mutate(actor, async (tx, emit) => {
      const u = await this.store.userRow(tx, userId);
      if (u.muted === muted) return userView(u);
      const user = userView(await tx.conferenceUser.update({ where: { id: userId }, data: { muted } }));
      await emit(u.conferenceId, muted ? "USER_MUTED" : "USER_UNMUTED", { user });
      return user;
    });
  }

  /**
   * Voice activity reported by the transport that carries the user's audio (the mixer's talk detection,
   * which already has hysteresis). Only a connected user talks; a report for anyone else changes nothing.
   */
  async setTalking(actor: Actor, userId: string, talking: boolean): Promise<UserState> {
    return this.store.mutate(actor, async (tx, emit) => {
      const u = await this.store.userRow(tx, userId);
      if (u.talking === talking || (talking && u.joinState !== "CONNECTED")) return userView(u);
      const user = userView(await tx.conferenceUser.update({ where: { id: userId }, data: { talking } }));
      await emit(u.conferenceId, talking ? "USER_TALKING" : "USER_STOPPED_TALKING", { user });
      return user;
    });
  }

  /** Mutes every connected user who is not a chair; returns how many were muted. */
  async muteAll(actor: Actor, conferenceId: string): Promise<number> {
    return this.store.mutate(actor, async (tx, emit) => {
      await this.store.conferenceRow(tx, conferenceId);
      const targets = await tx.conferenceUser.findMany({
        where: { conferenceId, joinState: "CONNECTED", muted: false, role: { notIn: [...CHAIR_ROLES] } },
      });
      for (const t of targets) {
        const user = userView(await tx.conferenceUser.update({ where: { id: t.id }, data: { muted: true } }));
        await emit(conferenceId, "USER_MUTED", { user });
      }
      return targets.length;
    });
  }

  private async transition(
    actor: Actor, userId: string, from: readonly string[], data: { joinState: "CONNECTED" | "DISCONNECTED"; via?: null },
    type: "USER_LEFT" | "USER_ADMITTED" | "USER_REFUSED" | "USER_KICKED", notInState: string,
  ): Promise<UserState> {
    return this.store.mutate(actor, async (tx, emit) => {
      const u = await this.store.userRow(tx, userId);
      if (!from.includes(u.joinState)) throw conflict(`${u.entity} ${notInState}`, ErrorReason.INVALID_STATE);
      const user = userView(await tx.conferenceUser.update({ where: { id: userId }, data: data.joinState === "DISCONNECTED" ? { ...data, talking: false } : data }));
      if (data.joinState === "DISCONNECTED") await closeUserFloorRequests(tx, emit, u.conferenceId, userId);
      await emit(u.conferenceId, type, { user });
      return user;
    });
  }
}

async function findPinOwner(tx: Tx, conferenceId: string, pin: string) {
  const candidates = await tx.conferenceUser.findMany({ where: { conferenceId, pinHash: { not: null } } });
  return candidates.find((u) => verifyPin(pin, u.pinHash)) ?? null;
}
