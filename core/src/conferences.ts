/**
 * Conference objects (RFC 6501) and blueprints: create, clone, update, delete, list, lock, end, sidebars,
 * and the schedule transitions the scheduler drives.
 */
import { randomInt, randomUUID } from "node:crypto";
import type { Actor } from "./events.ts";
import type { Store, Tx, EmitFn } from "./store.ts";
import type { ConferenceStatus, ConferenceSummary, FloorPolicy, JoinHandling, Role, SidebarKind } from "./state.ts";
import { conferenceView, floorRequestView, userView } from "./views.ts";
import { badInput, conflict, ErrorReason, notFound } from "./errors.ts";
import { hashPin, validatePin } from "./pin.ts";
import * as check from "./validate.ts";
import { currentOccurrence, nextOccurrence, normalizeRrule, occurrencesBetween, validateTimezone, type Occurrence, type Schedule } from "./schedule/recurrence.ts";

export interface FloorSpec {
  label: string;
  policy: FloorPolicy;
  maxHolders: number;
}

export interface UserSpec {
  entity: string;
  displayName?: string | null;
  email?: string | null;
  role?: Role | null;
  pin?: string | null;
}

export interface BlueprintInput {
  name: string;
  description?: string | null;
  maxUsers?: number | null;
  joinHandling?: JoinHandling | null;
  durationMin?: number | null;
  floors?: FloorSpec[] | null;
}

export interface ConferenceInput {
  blueprintId?: string | null;
  subject: string;
  description?: string | null;
  maxUsers?: number | null;
  joinHandling?: JoinHandling | null;
  floorControlled?: boolean | null;
  pin?: string | null;
  startAt?: Date | null;
  durationMin?: number | null;
  rrule?: string | null;
  timezone?: string | null;
  floors?: FloorSpec[] | null;
  users?: UserSpec[] | null;
}

export type ConferencePatch = Partial<Omit<ConferenceInput, "blueprintId" | "floors" | "users">>;

export interface ListFilter {
  /** only this conference (a conference token's listing) */
  id?: string | null;
  /** conferences with an occurrence overlapping [from, to) */
  from?: Date | null;
  to?: Date | null;
  status?: ConferenceStatus | null;
  first: number;
  after?: string | null;
}

export interface Page<T> {
  items: T[];
  endCursor: string | null;
  hasNextPage: boolean;
}

/** Internal options of create: a sidebar's parent, and PIN hashes copied from another conference (clone, sidebar
 *  by value), whose clear PINs are not known. */
export interface CreateOptions {
  parent?: { id: string; kind: SidebarKind };
  copiedPins?: { conference: string | null; users: Map<string, string> };
}

function pinsOf(c: { pinHash: string | null }, users: { entity: string; pinHash: string | null }[]): NonNullable<CreateOptions["copiedPins"]> {
  return { conference: c.pinHash, users: new Map(users.filter((u) => u.pinHash).map((u) => [u.entity, u.pinHash!])) };
}

export const LIMITS = { maxUsers: 10_000, durationMin: 7 * 24 * 60, floors: 16, initialUsers: 1000, pageSize: 100 } as const;
const DEFAULT_FLOORS: FloorSpec[] = [{ label: "audio", policy: "MODERATED", maxHolders: 1 }];

function floorSpecs(specs: FloorSpec[]): FloorSpec[] {
  if (specs.length > LIMITS.floors) throw badInput("floors", `at most ${LIMITS.floors} floors`);
  const labels = new Set<string>();
  return specs.map((f, i) => {
    const label = check.text(`floors[${i}].label`, f.label, { min: 1, max: 64 });
    if (!/^[A-Za-z0-9_.-]+$/.test(label)) throw badInput(`floors[${i}].label`, "a media label is letters, digits, '_', '.' or '-' (RFC 4574)");
    if (labels.has(label)) throw badInput(`floors[${i}].label`, `"${label}" is used twice`);
    labels.add(label);
    return { label, policy: f.policy, maxHolders: check.int(`floors[${i}].maxHolders`, f.maxHolders, 1, 100) };
  });
}

export function userData(spec: UserSpec, field: string, island: string) {
  return {
    entity: check.entity(`${field}.entity`, spec.entity),
    displayName: spec.displayName ? check.text(`${field}.displayName`, spec.displayName, { max: 120 }) : "",
    email: spec.email ? check.email(`${field}.email`, spec.email) : null,
    role: spec.role ?? "PARTICIPANT",
    pinHash: spec.pin ? hashPin(validatePin(spec.pin, `${field}.pin`)) : null,
    island,
  };
}

export function scheduleOf(c: { startAt: Date; durationMin: number; rrule: string | null; timezone: string }): Schedule {
  return { startAt: c.startAt, durationMin: c.durationMin, rrule: c.rrule, timezone: c.timezone };
}

export class Conferences {
  constructor(private readonly store: Store) {}

  // ---- blueprints (RFC 6503 section 5.3.1/5.3.2: blueprintsRequest, blueprintRequest) ----

  async createBlueprint(input: BlueprintInput) {
    const data = {
      name: check.text("name", input.name, { min: 1, max: 100 }),
      description: check.text("description", input.description ?? "", { max: 2000 }),
      maxUsers: check.int("maxUsers", input.maxUsers ?? 100, 1, LIMITS.maxUsers),
      joinHandling: input.joinHandling ?? "ALLOW",
      durationMin: check.int("durationMin", input.durationMin ?? 60, 1, LIMITS.durationMin),
      floors: JSON.stringify(floorSpecs(input.floors ?? DEFAULT_FLOORS)),
    };
    if (await this.store.db.blueprint.findUnique({ where: { name: data.name } })) {
      throw conflict(`a blueprint named "${data.name}" exists already`, ErrorReason.DUPLICATE);
    }
    return this.store.db.blueprint.create({ data });
  }

  listBlueprints() {
    return this.store.db.blueprint.findMany({ orderBy: { name: "asc" } });
  }

  async getBlueprint(id: string) {
    const b = await this.store.db.blueprint.findUnique({ where: { id } });
    if (!b) throw notFound("blueprint", id);
    return b;
  }

  async deleteBlueprint(id: string): Promise<void> {
    await this.getBlueprint(id);
    await this.store.db.blueprint.delete({ where: { id } });
  }

  // ---- conferences (RFC 6503 section 5.3.4 confRequest: create, retrieve, update, delete) ----

  async create(actor: Actor, input: ConferenceInput, opts: CreateOptions = {}): Promise<ConferenceSummary> {
    const { parent, copiedPins } = opts;
    const bp = input.blueprintId ? await this.getBlueprint(input.blueprintId) : null;
    const now = this.store.now();
    const joinHandling = input.joinHandling ?? bp?.joinHandling ?? "ALLOW";
    const pinHash = input.pin ? hashPin(validatePin(input.pin)) : (copiedPins?.conference ?? null);
    const schedule: Schedule = {
      startAt: check.date("startAt", input.startAt ?? now),
      durationMin: check.int("durationMin", input.durationMin ?? bp?.durationMin ?? 60, 1, LIMITS.durationMin),
      rrule: input.rrule ? normalizeRrule(input.rrule) : null,
      timezone: validateTimezone(input.timezone ?? "UTC"),
    };
    const status = initialStatus(schedule, now);
    const floors = floorSpecs(input.floors ?? (bp ? (JSON.parse(bp.floors) as FloorSpec[]) : DEFAULT_FLOORS));
    const users = (input.users ?? []).map((u, i) => {
      const data = userData(u, `users[${i}]`, this.store.island);
      return { ...data, pinHash: data.pinHash ?? copiedPins?.users.get(data.entity) ?? null };
    });
    if (joinHandling === "PIN" && !pinHash && !users.some((u) => u.pinHash)) {
      throw badInput("pin", "join handling PIN needs a conference PIN or a PIN for at least one user");
    }
    if (users.length > LIMITS.initialUsers) throw badInput("users", `at most ${LIMITS.initialUsers} users at creation`);
    if (new Set(users.map((u) => u.entity)).size !== users.length) throw badInput("users", "an entity is listed twice");
    const id = randomUUID();

    return this.store.mutate(actor, async (tx, emit) => {
      const row = await tx.conference.create({
        data: {
          id,
          blueprintId: bp?.id ?? null,
          parentId: parent?.id ?? null,
          sidebarKind: parent?.kind ?? null,
          subject: check.text("subject", input.subject, { min: 1, max: 200 }),
          description: check.text("description", input.description ?? bp?.description ?? "", { max: 2000 }),
          uri: `xcon:${id}@${this.store.island}`,
          dialInCode: await freeDialInCode(tx),
          maxUsers: check.int("maxUsers", input.maxUsers ?? bp?.maxUsers ?? 100, 1, LIMITS.maxUsers),
          joinHandling,
          floorControlled: input.floorControlled ?? false,
          pinHash,
          ...schedule,
          status,
          homeIsland: this.store.island,
          floors: { create: floors },
        },
      });
      const summary = conferenceView(row);
      await emit(id, "CONFERENCE_CREATED", { conference: summary });
      for (const u of users) {
        const user = await tx.conferenceUser.create({ data: { ...u, conferenceId: id } });
        await emit(id, "USER_ADDED", { user: userView(user) });
      }
      if (status === "ACTIVE") await emit(id, "CONFERENCE_STARTED", { conference: summary, occurrenceStart: currentOccurrence(schedule, now)!.start.toISOString() });
      if (parent) await emit(parent.id, "SIDEBAR_CREATED", { sidebar: summary });
      return summary;
    });
  }

  /** Settings, sidebars and deletion of a distributed conference are its home island's (federation.ts). */
  private requireHome(c: { homeIsland: string }): void {
    if (c.homeIsland !== this.store.island) throw conflict(`the conference is homed on ${c.homeIsland}: change it there`, ErrorReason.INVALID_STATE);
  }

  /** A new conference with the settings, floors and users (not their join state) of another. */
  async clone(actor: Actor, id: string, overrides: { subject?: string | null; startAt?: Date | null }): Promise<ConferenceSummary> {
    const src = await this.store.db.conference.findUnique({ where: { id }, include: { floors: true, users: true } });
    if (!src) throw notFound("conference", id);
    return this.create(actor, {
      blueprintId: src.blueprintId,
      subject: overrides.subject ?? `${src.subject} (copy)`,
      description: src.description,
      maxUsers: src.maxUsers,
      joinHandling: src.joinHandling,
      floorControlled: src.floorControlled,
      startAt: overrides.startAt ?? null,
      durationMin: src.durationMin,
      rrule: src.rrule,
      timezone: src.timezone,
      floors: src.floors.map((f) => ({ label: f.label, policy: f.policy, maxHolders: f.maxHolders })),
      users: src.users.map((u) => ({ entity: u.entity, displayName: u.displayName, email: u.email, role: u.role })),
    }, { copiedPins: pinsOf(src, src.users) });
  }

  /** The conference a caller dials (sip:<dialInCode>@focus); null when none has that code. */
  async findByDialInCode(code: string): Promise<ConferenceSummary | null> {
    if (!/^[0-9]{1,20}$/.test(code)) return null;
    const row = await this.store.db.conference.findUnique({ where: { dialInCode: code } });
    return row ? conferenceView(row) : null;
  }

  async get(id: string): Promise<ConferenceSummary> {
    return conferenceView(await this.store.conferenceRow(this.store.db, id));
  }

  async update(actor: Actor, id: string, patch: ConferencePatch): Promise<ConferenceSummary> {
    return this.store.mutate(actor, async (tx, emit) => {
      const c = await this.store.conferenceRow(tx, id);
      this.requireHome(c);
      const data: Record<string, unknown> = {};
      if (patch.subject != null) data.subject = check.text("subject", patch.subject, { min: 1, max: 200 });
      if (patch.description != null) data.description = check.text("description", patch.description, { max: 2000 });
      if (patch.maxUsers != null) data.maxUsers = check.int("maxUsers", patch.maxUsers, 1, LIMITS.maxUsers);
      if (patch.joinHandling != null) data.joinHandling = patch.joinHandling;
      if (patch.floorControlled != null) data.floorControlled = patch.floorControlled;
      if (patch.pin !== undefined) data.pinHash = patch.pin ? hashPin(validatePin(patch.pin)) : null;
      if (patch.startAt != null) data.startAt = check.date("startAt", patch.startAt);
      if (patch.durationMin != null) data.durationMin = check.int("durationMin", patch.durationMin, 1, LIMITS.durationMin);
      if (patch.rrule !== undefined) data.rrule = patch.rrule ? normalizeRrule(patch.rrule) : null;
      if (patch.timezone != null) data.timezone = validateTimezone(patch.timezone);
      const changed = Object.keys(data).map((k) => (k === "pinHash" ? "pin" : k));
      if (changed.length === 0) throw badInput("patch", "nothing to change");
      const joinHandling = (data.joinHandling ?? c.joinHandling) as JoinHandling;
      const pinHash = "pinHash" in data ? data.pinHash : c.pinHash;
      if (joinHandling === "PIN" && !pinHash && !(await tx.conferenceUser.count({ where: { conferenceId: id, pinHash: { not: null } } }))) {
        throw badInput("pin", "join handling PIN needs a conference PIN or a PIN for at least one user");
      }
      const row = await tx.conference.update({ where: { id }, data });
      const conference = conferenceView(row);
      await emit(id, "CONFERENCE_UPDATED", { conference, changed });
      return conference;
    });
  }

  /** Deletes the conference with its users, floors, sidebars and log; subscribers get CONFERENCE_DELETED. */
  async delete(actor: Actor, id: string): Promise<void> {
    const c = await this.store.conferenceRow(this.store.db, id);
    this.requireHome(c);
    const sidebars = await this.store.db.conference.findMany({ where: { parentId: id }, select: { id: true, eventSeq: true } });
    await this.store.db.conference.delete({ where: { id } });
    for (const gone of [...sidebars, c]) {
      this.store.bus.publish({
        conferenceId: gone.id, origin: this.store.island, seq: gone.eventSeq + 1, type: "CONFERENCE_DELETED",
        payload: { conferenceId: gone.id }, at: this.store.now(), actor,
      });
    }
  }

  /** Cursor pagination ordered by (startAt, id); the cursor is opaque to clients. */
  async list(filter: ListFilter): Promise<Page<ConferenceSummary>> {
    const first = check.int("first", filter.first, 1, LIMITS.pageSize);
    const after = filter.after ? decodeCursor(filter.after) : null;
    if (filter.from && filter.to && filter.from >= filter.to) throw badInput("to", "must be after from");
    const where = {
      parentId: null,
      ...(filter.id ? { id: filter.id } : {}),
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.to ? { startAt: { lt: filter.to } } : {}),
      ...(after ? { OR: [{ startAt: { gt: after.startAt } }, { startAt: after.startAt, id: { gt: after.id } }] } : {}),
    };
    const items: ConferenceSummary[] = [];
    let cursor: { startAt: Date; id: string } | null = null;
    let hasNextPage = false;
    // Time-window filtering needs the recurrence expanded, so rows are filtered here in batches.
    for (let skip = 0; ; ) {
      const rows = await this.store.db.conference.findMany({ where, orderBy: [{ startAt: "asc" }, { id: "asc" }], skip, take: 200 });
      for (const r of rows) {
        if (filter.from && occurrencesBetween(scheduleOf(r), filter.from, filter.to ?? new Date(8.64e15), 1).length === 0) continue;
        if (items.length === first) {
          hasNextPage = true;
          break;
        }
        items.push(conferenceView(r));
        cursor = { startAt: r.startAt, id: r.id };
      }
      if (hasNextPage || rows.length < 200) break;
      skip += rows.length;
    }
    return { items, endCursor: cursor ? encodeCursor(cursor) : null, hasNextPage };
  }

  async occurrences(id: string, from: Date, to: Date): Promise<Occurrence[]> {
    if (from >= to) throw badInput("to", "must be after from");
    if (to.getTime() - from.getTime() > 366 * 86_400_000 * 5) throw badInput("to", "the window is at most five years");
    return occurrencesBetween(scheduleOf(await this.store.conferenceRow(this.store.db, id)), from, to);
  }

  async sidebars(id: string): Promise<ConferenceSummary[]> {
    const rows = await this.store.db.conference.findMany({ where: { parentId: id }, orderBy: { createdAt: "asc" } });
    return rows.map(conferenceView);
  }

  /**
   * Sidebars (RFC 6501 section 4.7, RFC 6503 section 5.3.5-5.3.6). By value: a sub-conference of chosen
   * users of the parent, who keep their identities and roles. By reference: a separate conference with
   * its own users, linked to the parent.
   */
  async createSidebar(actor: Actor, parentId: string, input: { kind: SidebarKind; subject: string; userIds?: string[] | null; users?: UserSpec[] | null }): Promise<ConferenceSummary> {
    const parent = await this.store.conferenceRow(this.store.db, parentId);
    this.requireHome(parent);
    if (parent.parentId) throw badInput("parentId", "a sidebar cannot have sidebars");
    const common = { subject: input.subject, maxUsers: parent.maxUsers, startAt: this.store.now(), durationMin: parent.durationMin, timezone: parent.timezone, floors: DEFAULT_FLOORS };
    if (input.kind === "BY_VALUE") {
      if (input.users?.length) throw badInput("users", "a sidebar by value takes userIds of the parent's users, not new users");
      const ids = input.userIds ?? [];
      const rows = await this.store.db.conferenceUser.findMany({ where: { conferenceId: parentId, id: { in: ids } }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
      if (rows.length !== new Set(ids).size) throw badInput("userIds", "every user of a sidebar by value must be a user of the parent conference");
      // The users keep their identities, roles and PINs; the conference keeps the parent's join handling.
      return this.create(actor, {
        ...common,
        joinHandling: parent.joinHandling,
        users: rows.map((u) => ({ entity: u.entity, displayName: u.displayName, email: u.email, role: u.role })),
      }, { parent: { id: parentId, kind: "BY_VALUE" }, copiedPins: pinsOf(parent, rows) });
    }
    if (input.userIds?.length) throw badInput("userIds", "a sidebar by reference has users of its own: give users");
    const users = input.users ?? [];
    // A separate conference: PIN handling carries over only if its own users bring PINs.
    const joinHandling = parent.joinHandling === "PIN" && !users.some((u) => u.pin) ? "ALLOW" : parent.joinHandling;
    return this.create(actor, { ...common, joinHandling, users }, { parent: { id: parentId, kind: "BY_REFERENCE" } });
  }

  // ---- moderation of the whole conference ----

  async setLocked(actor: Actor, id: string, locked: boolean): Promise<ConferenceSummary> {
    const remote = await this.store.forwardIfRemote<ConferenceSummary>(await this.store.homeOf(id), { op: "setLocked", conferenceId: id, locked }, actor);
    if (remote) return remote.result;
    return this.store.mutate(actor, async (tx, emit) => {
      const c = await this.store.conferenceRow(tx, id);
      if (c.status === "ENDED") throw conflict("the conference has ended", ErrorReason.CONFERENCE_NOT_ACTIVE);
      if (c.locked === locked) return conferenceView(c);
      const conference = conferenceView(await tx.conference.update({ where: { id }, data: { locked } }));
      await emit(id, locked ? "CONFERENCE_LOCKED" : "CONFERENCE_UNLOCKED", { conference });
      return conference;
    });
  }

  /** Ends the conference for good (all occurrences): everyone is disconnected, floor requests close. */
  async end(actor: Actor, id: string): Promise<ConferenceSummary> {
    const remote = await this.store.forwardIfRemote<ConferenceSummary>(await this.store.homeOf(id), { op: "end", conferenceId: id }, actor);
    if (remote) return remote.result;
    return this.store.mutate(actor, async (tx, emit) => {
      const c = await this.store.conferenceRow(tx, id);
      if (c.status === "ENDED") throw conflict("the conference has ended already", ErrorReason.INVALID_STATE);
      return this.stop(tx, emit, id, "ENDED", "moderator");
    });
  }

  /** The scheduler's step: start conferences whose occurrence began, stop those whose occurrence is over. */
  async applySchedule(now: Date): Promise<{ started: string[]; stopped: string[] }> {
    const started: string[] = [];
    const stopped: string[] = [];
    // Only conferences homed here: a replica's occurrences are started and stopped by its home island's events.
    const candidates = await this.store.db.conference.findMany({
      where: { homeIsland: this.store.island, OR: [{ status: "ACTIVE" }, { status: "SCHEDULED", startAt: { lte: now } }] },
      select: { id: true, status: true, startAt: true, durationMin: true, rrule: true, timezone: true },
    });
    const system: Actor = { kind: "system", id: "scheduler" };
    for (const c of candidates) {
      const current = currentOccurrence(scheduleOf(c), now);
      if (c.status === "SCHEDULED" && current) {
        await this.store.mutate(system, async (tx, emit) => {
          const row = await tx.conference.updateMany({ where: { id: c.id, status: "SCHEDULED" }, data: { status: "ACTIVE" } });
          if (row.count === 0) return;
          const conference = conferenceView(await this.store.conferenceRow(tx, c.id));
          await emit(c.id, "CONFERENCE_STARTED", { conference, occurrenceStart: current.start.toISOString() });
          started.push(c.id);
        });
      } else if (c.status === "ACTIVE" && !current) {
        const next = nextOccurrence(scheduleOf(c), now);
        await this.store.mutate(system, async (tx, emit) => {
          const fresh = await tx.conference.findUnique({ where: { id: c.id }, select: { status: true } });
          if (fresh?.status !== "ACTIVE") return;
          await this.stop(tx, emit, c.id, next ? "SCHEDULED" : "ENDED", "schedule");
          stopped.push(c.id);
        });
      }
    }
    return { started, stopped };
  }

  /** Ends an occurrence or the conference: disconnects everyone, closes floor requests, unlocks. */
  private async stop(tx: Tx, emit: EmitFn, id: string, status: "SCHEDULED" | "ENDED", reason: "schedule" | "moderator"): Promise<ConferenceSummary> {
    const present = await tx.conferenceUser.findMany({ where: { conferenceId: id, joinState: { in: ["CONNECTED", "LOBBY"] } } });
    for (const u of present) {
      const user = await tx.conferenceUser.update({ where: { id: u.id }, data: { joinState: "DISCONNECTED", via: null } });
      await emit(id, "USER_LEFT", { user: userView(user) });
    }
    const open = await tx.floorRequest.findMany({ where: { floor: { conferenceId: id }, status: { in: ["PENDING", "ACCEPTED", "GRANTED"] } }, include: { floor: true } });
    for (const r of open) {
      const req = await tx.floorRequest.update({ where: { id: r.id }, data: { status: r.status === "GRANTED" ? "REVOKED" : "CANCELLED" } });
      await emit(id, "FLOOR_REQUEST_CHANGED", { request: floorRequestView(req, r.floor) });
    }
    const conference = conferenceView(await tx.conference.update({ where: { id }, data: { status, locked: false } }));
    await emit(id, "CONFERENCE_ENDED", { conference, final: status === "ENDED", reason });
    return conference;
  }
}

function initialStatus(s: Schedule, now: Date): ConferenceStatus {
  if (currentOccurrence(s, now)) return "ACTIVE";
  if (nextOccurrence(s, now)) return "SCHEDULED";
  throw badInput("startAt", "the schedule has no occurrence from now on");
}

async function freeDialInCode(tx: Tx): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const code = String(randomInt(100_000, 1_000_000));
    if (!(await tx.conference.findUnique({ where: { dialInCode: code }, select: { id: true } }))) return code;
  }
  throw conflict("no free dial-in code found", ErrorReason.DUPLICATE);
}

function encodeCursor(c: { startAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([c.startAt.toISOString(), c.id])).toString("base64url");
}

function decodeCursor(s: string): { startAt: Date; id: string } {
  try {
    const [startAt, id] = JSON.parse(Buffer.from(s, "base64url").toString("utf8")) as [string, string];
    const d = new Date(startAt);
    if (typeof id !== "string" || Number.isNaN(d.getTime())) throw new Error("bad");
    return { startAt: d, id };
  } catch {
    throw badInput("after", "not a cursor returned by this API");
  }
}
