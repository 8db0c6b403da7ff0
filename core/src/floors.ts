/**
 * Floors and floor requests: the floor control server's state (RFC 4582bis/RFC 8855 section 9,
 * "floor control server"), shared by every way of asking (GraphQL now, BFCP later). Request states
 * follow RFC 8855 section 5.2.5 (Request-Status): Pending -> Accepted -> Granted -> Released, or
 * Denied / Cancelled / Revoked. A FCFS floor grants in queue order as holders leave; a MODERATED floor
 * waits for a chair.
 */
import type { Actor } from "./events.ts";
import type { Store, Tx, EmitFn } from "./store.ts";
import type { FloorRequestState, FloorRequestStatus, FloorState } from "./state.ts";
import { ACTIVE_FLOOR_STATUSES } from "./state.ts";
import { compareQueue, floorRequestView, floorView } from "./views.ts";
import { conflict, ErrorReason, notFound } from "./errors.ts";
import * as check from "./validate.ts";

/** Allowed moves of a request (RFC 8855 section 5.2.5 states); everything else is a CONFLICT. */
const TRANSITIONS: Record<"grant" | "deny" | "revoke" | "release", { from: readonly FloorRequestStatus[] }> = {
  grant: { from: ["PENDING", "ACCEPTED"] },
  deny: { from: ["PENDING", "ACCEPTED"] },
  revoke: { from: ["GRANTED"] },
  release: { from: ["PENDING", "ACCEPTED", "GRANTED"] },
};

export class Floors {
  constructor(private readonly store: Store) {}

  async list(conferenceId: string): Promise<FloorState[]> {
    const rows = await this.store.db.floor.findMany({ where: { conferenceId }, include: { requests: { where: { status: { in: [...ACTIVE_FLOOR_STATUSES] } } } }, orderBy: { label: "asc" } });
    return rows.map(floorView);
  }

  async get(floorId: string): Promise<FloorState> {
    const f = await this.store.db.floor.findUnique({ where: { id: floorId }, include: { requests: { where: { status: { in: [...ACTIVE_FLOOR_STATUSES] } } } } });
    if (!f) throw notFound("floor", floorId);
    return floorView(f);
  }

  async getRequest(requestId: string): Promise<FloorRequestState> {
    const r = await this.store.db.floorRequest.findUnique({ where: { id: requestId }, include: { floor: true } });
    if (!r) throw notFound("floor request", requestId);
    return floorRequestView(r, r.floor);
  }

  /** FloorRequest (RFC 8855 section 5.3.1): the user must be connected, one open request per floor. */
  async request(actor: Actor, floorId: string, userId: string, priority = 2): Promise<FloorRequestState> {
    check.int("priority", priority, 0, 4); // RFC 8855 section 5.2.4: Priority is 0 (lowest) to 4 (highest)
    const remote = await this.store.forwardIfRemote<FloorRequestState>(await this.homeOfFloor(floorId), { op: "floorRequest", floorId, userId, priority }, actor);
    if (remote) return remote.result;
    return this.store.mutate(actor, async (tx, emit) => {
      const floor = await tx.floor.findUnique({ where: { id: floorId } });
      if (!floor) throw notFound("floor", floorId);
      const user = await this.store.userRow(tx, userId);
      if (user.conferenceId !== floor.conferenceId) throw notFound("user", userId);
      if (user.joinState !== "CONNECTED") throw conflict(`${user.entity} is not connected to the conference`, ErrorReason.INVALID_STATE);
      const open = await tx.floorRequest.findFirst({ where: { floorId, userId, status: { in: [...ACTIVE_FLOOR_STATUSES] } } });
      if (open) throw conflict(`${user.entity} has a request for this floor already (${open.id})`, ErrorReason.DUPLICATE);
      const { requestSeq } = await tx.floor.update({ where: { id: floorId }, data: { requestSeq: { increment: 1 } }, select: { requestSeq: true } });
      const req = await tx.floorRequest.create({ data: { floorId, userId, priority, queueSeq: requestSeq } });
      await emit(floor.conferenceId, "FLOOR_REQUEST_CHANGED", { request: floorRequestView(req, floor) });
      if (floor.policy === "FCFS") return (await promote(tx, emit, floorId)).find((r) => r.id === req.id) ?? floorRequestView(req, floor);
      return floorRequestView(req, floor);
    });
  }

  /** FloorRelease (RFC 8855 section 5.3.2): a pending request is cancelled, a granted one released. */
  async release(actor: Actor, requestId: string): Promise<FloorRequestState> {
    return this.move(actor, requestId, "release", (r) => (r.status === "GRANTED" ? "RELEASED" : "CANCELLED"));
  }

  /** ChairAction (RFC 8855 section 5.3.9) granting a request; fails when the floor has its maximum holders. */
  async grant(actor: Actor, requestId: string): Promise<FloorRequestState> {
    return this.move(actor, requestId, "grant", () => "GRANTED");
  }

  async deny(actor: Actor, requestId: string): Promise<FloorRequestState> {
    return this.move(actor, requestId, "deny", () => "DENIED");
  }

  async revoke(actor: Actor, requestId: string): Promise<FloorRequestState> {
    return this.move(actor, requestId, "revoke", () => "REVOKED");
  }

  /** A floor's conference's home island, which decides on its requests. */
  private async homeOfFloor(floorId: string): Promise<string> {
    const f = await this.store.db.floor.findUnique({ where: { id: floorId }, select: { conferenceId: true } });
    if (!f) throw notFound("floor", floorId);
    return this.store.homeOf(f.conferenceId);
  }

  private async move(actor: Actor, requestId: string, action: keyof typeof TRANSITIONS, to: (r: { status: FloorRequestStatus }) => FloorRequestStatus): Promise<FloorRequestState> {
    const r = await this.store.db.floorRequest.findUnique({ where: { id: requestId }, select: { floorId: true } });
    if (!r) throw notFound("floor request", requestId);
    const op = ({ grant: "floorGrant", deny: "floorDeny", revoke: "floorRevoke", release: "floorRelease" } as const)[action];
    const remote = await this.store.forwardIfRemote<FloorRequestState>(await this.homeOfFloor(r.floorId), { op, requestId }, actor);
    if (remote) return remote.result;
    return this.store.mutate(actor, async (tx, emit) => {
      const r = await tx.floorRequest.findUnique({ where: { id: requestId }, include: { floor: true } });
      if (!r) throw notFound("floor request", requestId);
      if (!TRANSITIONS[action].from.includes(r.status)) {
        throw conflict(`cannot ${action} a request that is ${r.status.toLowerCase()}`, ErrorReason.INVALID_STATE);
      }
      const status = to(r);
      if (status === "GRANTED") {
        const holders = await tx.floorRequest.count({ where: { floorId: r.floorId, status: "GRANTED" } });
        if (holders >= r.floor.maxHolders) throw conflict(`the floor "${r.floor.label}" has ${holders} holder(s), its maximum`, ErrorReason.FLOOR_FULL);
      }
      const req = floorRequestView(await tx.floorRequest.update({ where: { id: requestId }, data: { status } }), r.floor);
      await emit(r.floor.conferenceId, "FLOOR_REQUEST_CHANGED", { request: req });
      if (r.status === "GRANTED" && r.floor.policy === "FCFS") await promote(tx, emit, r.floorId);
      return req;
    });
  }
}

/** FCFS: grant queued requests in order while the floor has room. Returns the requests it granted. */
async function promote(tx: Tx, emit: EmitFn, floorId: string): Promise<FloorRequestState[]> {
  const floor = await tx.floor.findUniqueOrThrow({ where: { id: floorId }, include: { requests: { where: { status: { in: [...ACTIVE_FLOOR_STATUSES] } } } } });
  let holders = floor.requests.filter((r) => r.status === "GRANTED").length;
  const granted: FloorRequestState[] = [];
  for (const r of floor.requests.filter((q) => q.status !== "GRANTED").sort(compareQueue)) {
    if (holders >= floor.maxHolders) break;
    const req = floorRequestView(await tx.floorRequest.update({ where: { id: r.id }, data: { status: "GRANTED" } }), floor);
    await emit(floor.conferenceId, "FLOOR_REQUEST_CHANGED", { request: req });
    granted.push(req);
    holders++;
  }
  return granted;
}

/** A user who leaves gives up every floor request (RFC 8855 section 13); FCFS floors move on. */
export async function closeUserFloorRequests(tx: Tx, emit: EmitFn, conferenceId: string, userId: string): Promise<void> {
  const open = await tx.floorRequest.findMany({ where: { userId, status: { in: [...ACTIVE_FLOOR_STATUSES] } }, include: { floor: true } });
  for (const r of open) {
    const req = await tx.floorRequest.update({ where: { id: r.id }, data: { status: r.status === "GRANTED" ? "RELEASED" : "CANCELLED" } });
    await emit(conferenceId, "FLOOR_REQUEST_CHANGED", { request: floorRequestView(req, r.floor) });
    if (r.status === "GRANTED" && r.floor.policy === "FCFS") await promote(tx, emit, r.floorId);
  }
}
