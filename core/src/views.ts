/** Database rows to the plain views of ./state.ts: the only place that knows both shapes. */
import type { Db } from "@dcon/db";
import type { ConferenceSummary, FloorRequestState, FloorState, UserState } from "./state.ts";
import { ACTIVE_FLOOR_STATUSES } from "./state.ts";

type ConferenceRow = Db.Conference;
type UserRow = Db.ConferenceUser;
type FloorRow = Db.Floor;
type FloorRequestRow = Db.FloorRequest;

export function conferenceView(c: ConferenceRow): ConferenceSummary {
  return {
    id: c.id,
    parentId: c.parentId,
    sidebarKind: c.sidebarKind,
    blueprintId: c.blueprintId,
    subject: c.subject,
    description: c.description,
    uri: c.uri,
    dialInCode: c.dialInCode,
    maxUsers: c.maxUsers,
    status: c.status,
    locked: c.locked,
    floorControlled: c.floorControlled,
    joinHandling: c.joinHandling,
    hasPin: c.pinHash !== null,
    startAt: c.startAt.toISOString(),
    durationMin: c.durationMin,
    rrule: c.rrule,
    timezone: c.timezone,
    homeIsland: c.homeIsland,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

export function userView(u: UserRow): UserState {
  return {
    id: u.id,
    conferenceId: u.conferenceId,
    entity: u.entity,
    displayName: u.displayName,
    email: u.email,
    role: u.role,
    hasPin: u.pinHash !== null,
    joinState: u.joinState,
    via: u.via,
    island: u.island,
    muted: u.muted,
    talking: u.talking,
  };
}

export function floorRequestView(r: FloorRequestRow, floor: { label: string; conferenceId: string }): FloorRequestState {
  return {
    id: r.id,
    conferenceId: floor.conferenceId,
    floorId: r.floorId,
    floorLabel: floor.label,
    userId: r.userId,
    status: r.status,
    priority: r.priority,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** Queue order (RFC 8855 section 9: the floor control server orders pending requests): holders first,
 *  then higher priority, then first come first served. */
export function compareQueue(a: FloorRequestRow, b: FloorRequestRow): number {
  const held = (r: FloorRequestRow) => (r.status === "GRANTED" ? 0 : 1);
  return held(a) - held(b) || b.priority - a.priority || a.queueSeq - b.queueSeq;
}

export function floorView(f: FloorRow & { requests: FloorRequestRow[] }): FloorState {
  const queue = f.requests.filter((r) => ACTIVE_FLOOR_STATUSES.includes(r.status)).sort(compareQueue);
  return {
    id: f.id,
    conferenceId: f.conferenceId,
    label: f.label,
    policy: f.policy,
    maxHolders: f.maxHolders,
    queue: queue.map((r) => floorRequestView(r, f)),
  };
}
