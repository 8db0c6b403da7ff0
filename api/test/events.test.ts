// Peer: none besides the focus over HTTP/WebSocket (and as a child process for the restart test)
/**
 * Moderation, floors and the conference event stream, end to end: every step goes through the GraphQL
 * API of a real focus, and each test checks both the step's answer (contents, error codes) and the events
 * it wrote, read back from the log (`events`) and, where it matters, from live subscriptions.
 */
import type { Client } from "graphql-ws";
import {
  ADMIN_TOKEN, HttpClient, freshDatabaseUrl, spawnFocus, startTestFocus, wsClient, type SpawnedFocus, type TestFocus,
} from "./support/focus.ts";

// ---------------------------------------------------------------------------------------------------
// GraphQL documents

const USER = `id conferenceId entity displayName role joinState via muted hasPin`;
const REQUEST = `id floorId floorLabel userId status priority`;
const EVENT = `conferenceId origin seq type at actor { kind id } payload`;
const CONFERENCE = `id status version joinHandling hasPin maxUsers locked floors { id label policy maxHolders } users { ${USER} }`;

const Q = {
  create: `mutation($input: ConferenceInput!) { createConference(input: $input) { ${CONFERENCE} } }`,
  conference: `query($id: ID!) { conference(id: $id) { ${CONFERENCE} } }`,
  events: `query($id: ID!, $after: Int!, $limit: Int!) { events(conferenceId: $id, afterSeq: $after, limit: $limit) { ${EVENT} } }`,
  users: `query($id: ID!) { users(conferenceId: $id) { ${USER} } }`,
  user: `query($id: ID!) { user(id: $id) { ${USER} } }`,
  floor: `query($id: ID!) { floor(id: $id) { id policy maxHolders queue { ${REQUEST} } } }`,
  me: `query { me { tokenId role } }`,
  addUser: `mutation($c: ID!, $input: UserInput!) { addUser(conferenceId: $c, input: $input) { ${USER} } }`,
  removeUser: `mutation($id: ID!) { removeUser(id: $id) }`,
  join: `mutation($c: ID!, $entity: String, $pin: String, $name: String) { joinConference(conferenceId: $c, entity: $entity, pin: $pin, displayName: $name) { ${USER} } }`,
  leave: `mutation($id: ID!) { leaveConference(userId: $id) { ${USER} } }`,
  lock: `mutation($id: ID!) { lockConference(id: $id) { id locked } }`,
  unlock: `mutation($id: ID!) { unlockConference(id: $id) { id locked } }`,
  end: `mutation($id: ID!) { endConference(id: $id) { id status locked } }`,
  mute: `mutation($id: ID!) { muteUser(id: $id) { ${USER} } }`,
  unmute: `mutation($id: ID!) { unmuteUser(id: $id) { ${USER} } }`,
  muteAll: `mutation($c: ID!) { muteAll(conferenceId: $c) }`,
  kick: `mutation($id: ID!) { kickUser(id: $id) { ${USER} } }`,
  admit: `mutation($id: ID!) { admitUser(id: $id) { ${USER} } }`,
  refuse: `mutation($id: ID!) { refuseUser(id: $id) { ${USER} } }`,
  request: `mutation($f: ID!, $u: ID, $p: Int! = 0) { requestFloor(floorId: $f, userId: $u, priority: $p) { ${REQUEST} } }`,
  release: `mutation($r: ID!) { releaseFloor(requestId: $r) { ${REQUEST} } }`,
  grant: `mutation($r: ID!) { grantFloor(requestId: $r) { ${REQUEST} } }`,
  deny: `mutation($r: ID!) { denyFloor(requestId: $r) { ${REQUEST} } }`,
  revoke: `mutation($r: ID!) { revokeFloor(requestId: $r) { ${REQUEST} } }`,
  token: `mutation($u: ID!) { issueConferenceToken(userId: $u, name: "events test") { secret } }`,
  sidebar: `mutation($p: ID!, $input: SidebarInput!) { createSidebar(parentId: $p, input: $input) { id version } }`,
  deleteConference: `mutation($id: ID!) { deleteConference(id: $id) }`,
  streamSub: `subscription($id: ID!, $since: Int) { conferenceEvents(conferenceId: $id, sinceSeq: $since) {
    kind state { version origin conference { id status } users { ${USER} } floors { id label queue { ${REQUEST} } } } event { ${EVENT} } } }`,
  rosterSub: `subscription($id: ID!) { roster(conferenceId: $id) { ${USER} } }`,
};

// ---------------------------------------------------------------------------------------------------
// Helpers

let t: TestFocus;
let admin: HttpClient;
let adminTokenId: string;
const sockets: Client[] = [];
const children: SpawnedFocus[] = [];

beforeAll(async () => {
  t = await startTestFocus();
  admin = t.admin;
  adminTokenId = (await admin.must(Q.me)).me.tokenId;
});

afterAll(async () => {
  await Promise.all(sockets.map((s) => s.dispose()));
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL");
  await Promise.all(children.map((c) => c.exited));
  await t?.close();
});

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

function socket(url = t.url, token = ADMIN_TOKEN): Client {
  const c = wsClient(url, token);
  sockets.push(c);
  return c;
}

async function createConference(input: Record<string, unknown>, client = admin): Promise<any> {
  return (await client.must(Q.create, { input })).createConference;
}

async function conference(id: string, client = admin): Promise<any> {
  return (await client.must(Q.conference, { id })).conference;
}

async function eventsAfter(id: string, after: number, client = admin): Promise<any[]> {
  return (await client.must(Q.events, { id, after, limit: 1000 })).events;
}

/** A CONFERENCE token acting as the user. */
async function tokenFor(userId: string): Promise<HttpClient> {
  return admin.as((await admin.must(Q.token, { u: userId })).issueConferenceToken.secret);
}

/** joinConference with the admin token, for `entity`. */
async function join(conferenceId: string, entity: string, extra: Record<string, unknown> = {}): Promise<any> {
  return (await admin.must(Q.join, { c: conferenceId, entity, ...extra })).joinConference;
}

/** The code and reason of an operation that must fail. */
async function failure(client: HttpClient, query: string, variables: Record<string, unknown>): Promise<{ code?: string; reason?: string }> {
  const r = await client.request(query, variables);
  if (!r.errors?.length) throw new Error(`expected an error, got ${JSON.stringify(r.data)}`);
  const ext = r.errors[0]!.extensions ?? {};
  return { code: ext.code, ...(ext.reason ? { reason: ext.reason } : {}) };
}

/** Polls a condition of server state (not an assertion by itself: the caller asserts afterwards). */
async function eventually(pred: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Reads the conference's log incrementally: each `next()` returns the events written since the last call
 * and checks that they continue the log without a gap.
 */
class Log {
  seq = 0;
  constructor(readonly conferenceId: string, readonly client: HttpClient = admin) {}

  async next(): Promise<any[]> {
    const events = await eventsAfter(this.conferenceId, this.seq, this.client);
    expect(events.map((e) => e.seq)).toEqual(range(this.seq + 1, this.seq + events.length));
    if (events.length) this.seq = events.at(-1).seq;
    return events;
  }

  /** The types of the events since the last call. */
  async types(): Promise<string[]> {
    return (await this.next()).map((e) => e.type);
  }
}

/** A subscription whose messages are collected; `until` waits for a condition on what has arrived. */
interface Subscription {
  readonly items: any[];
  readonly errors: any[];
  readonly completed: boolean;
  until(pred: (s: Subscription) => boolean, timeoutMs?: number): Promise<void>;
  stop(): void;
}

function subscribe(client: Client, query: string, variables: Record<string, unknown>, pick: (data: any) => any): Subscription {
  const waiters = new Set<() => void>();
  const notify = () => [...waiters].forEach((w) => w());
  const s = {
    items: [] as any[],
    errors: [] as any[],
    completed: false,
    stop: () => {},
    until(pred: (s: Subscription) => boolean, timeoutMs = 15_000): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        const finish = (err?: Error) => {
          waiters.delete(check);
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        };
        const check = () => {
          if (pred(s)) finish();
          else if (s.errors.length) finish(new Error(`subscription error: ${JSON.stringify(s.errors)}`));
          else if (s.completed) finish(new Error(`subscription completed with ${s.items.length} items: ${JSON.stringify(s.items.slice(-2))}`));
        };
        const timer = setTimeout(
          () => finish(new Error(`timed out with ${s.items.length} items, last: ${JSON.stringify(s.items.slice(-2))}`)),
          timeoutMs,
        );
        waiters.add(check);
        check();
      });
    },
  };
  s.stop = client.subscribe<any>({ query, variables }, {
    next: (r) => {
      if (r.errors) s.errors.push(...r.errors);
      if (r.data) s.items.push(pick(r.data));
      notify();
    },
    error: (e) => {
      s.errors.push(e);
      notify();
    },
    complete: () => {
      s.completed = true;
      notify();
    },
  });
  return s;
}

function streamOf(client: Client, conferenceId: string, sinceSeq?: number): Subscription {
  return subscribe(client, Q.streamSub, { id: conferenceId, ...(sinceSeq === undefined ? {} : { since: sinceSeq }) }, (d) => d.conferenceEvents);
}

const lastSeq = (s: Subscription): number | undefined => s.items.at(-1)?.event?.seq;
const eventsOf = (s: Subscription) => s.items.filter((i) => i.kind === "EVENT").map((i) => i.event);

const adminActor = () => ({ kind: "admin", id: adminTokenId });

// ---------------------------------------------------------------------------------------------------
// 1. Moderation

describe("moderation through the API, with the events each step writes", () => {
  test("joinConference: an admin joins an entity, a conference token joins as its own user", async () => {
    const conf = await createConference({ subject: "Join", users: [{ entity: "sip:bob@join.test", displayName: "Bob" }] });
    const bob = conf.users[0];
    const log = new Log(conf.id);
    expect(await log.types()).toEqual(["CONFERENCE_CREATED", "USER_ADDED", "CONFERENCE_STARTED"]);
    expect(log.seq).toBe(conf.version);

    // an admin token gives the entity; a new entity becomes a user first
    const alice = await join(conf.id, "sip:alice@join.test", { name: "Alice" });
    expect(alice).toMatchObject({ conferenceId: conf.id, entity: "sip:alice@join.test", displayName: "Alice", role: "PARTICIPANT", joinState: "CONNECTED", via: "api", muted: false });
    const aliceEvents = await log.next();
    expect(aliceEvents.map((e) => e.type)).toEqual(["USER_ADDED", "USER_JOINED"]);
    expect(aliceEvents[0]).toMatchObject({ conferenceId: conf.id, origin: "island-a.test", actor: adminActor(), payload: { user: { id: alice.id, entity: alice.entity } } });
    expect(aliceEvents[1]).toMatchObject({ actor: adminActor(), payload: { user: { id: alice.id, joinState: "CONNECTED", via: "api" } } });

    // the same entity cannot be in twice; an admin must say who joins
    expect(await failure(admin, Q.join, { c: conf.id, entity: "sip:alice@join.test" })).toEqual({ code: "CONFLICT", reason: "DUPLICATE" });
    expect(await failure(admin, Q.join, { c: conf.id })).toEqual({ code: "BAD_USER_INPUT" });

    // a conference token joins as itself, and may not name another entity
    const asBob = await tokenFor(bob.id);
    expect(await failure(asBob, Q.join, { c: conf.id, entity: "sip:mallory@join.test" })).toEqual({ code: "FORBIDDEN" });
    const joined = (await asBob.must(Q.join, { c: conf.id })).joinConference;
    expect(joined).toMatchObject({ id: bob.id, entity: "sip:bob@join.test", joinState: "CONNECTED", via: "api" });
    const bobEvents = await log.next();
    expect(bobEvents.map((e) => e.type)).toEqual(["USER_JOINED"]);
    expect(bobEvents[0]).toMatchObject({ actor: { kind: "user", id: bob.id }, payload: { user: { id: bob.id, joinState: "CONNECTED" } } });

    // nothing was written for the refused attempts
    expect((await conference(conf.id)).version).toBe(log.seq);
  });

  test("LOBBY: participants wait, chairs go straight in; admitUser and refuseUser, seen live and in the log", async () => {
    const conf = await createConference({ subject: "Lobby", joinHandling: "LOBBY", users: [{ entity: "sip:mod@lobby.test", role: "MODERATOR" }] });
    const mod = conf.users[0];
    const live = streamOf(socket(), conf.id);
    await live.until((s) => s.items.length === 1);
    expect(live.items[0]).toMatchObject({ kind: "FULL_STATE", state: { version: conf.version, conference: { id: conf.id } } });
    const log = new Log(conf.id);
    log.seq = conf.version;

    const p1 = await join(conf.id, "sip:p1@lobby.test");
    expect(p1).toMatchObject({ joinState: "LOBBY", via: "api" });
    expect(await log.types()).toEqual(["USER_ADDED", "USER_IN_LOBBY"]);

    const asMod = await tokenFor(mod.id);
    expect((await asMod.must(Q.join, { c: conf.id })).joinConference).toMatchObject({ id: mod.id, joinState: "CONNECTED" });
    expect(await log.types()).toEqual(["USER_JOINED"]);

    // a moderator admits the waiting participant
    expect((await asMod.must(Q.admit, { id: p1.id })).admitUser).toMatchObject({ id: p1.id, joinState: "CONNECTED" });
    const admitted = await log.next();
    expect(admitted).toMatchObject([{ type: "USER_ADMITTED", actor: { kind: "user", id: mod.id }, payload: { user: { id: p1.id, joinState: "CONNECTED" } } }]);
    expect(await failure(asMod, Q.admit, { id: p1.id })).toEqual({ code: "CONFLICT", reason: "INVALID_STATE" });

    // and refuses another
    const p2 = await join(conf.id, "sip:p2@lobby.test");
    expect(p2.joinState).toBe("LOBBY");
    expect((await admin.must(Q.refuse, { id: p2.id })).refuseUser).toMatchObject({ id: p2.id, joinState: "DISCONNECTED", via: null });
    const refused = await log.next();
    expect(refused.map((e) => e.type)).toEqual(["USER_ADDED", "USER_IN_LOBBY", "USER_REFUSED"]);
    expect(refused[2]).toMatchObject({ payload: { user: { id: p2.id, joinState: "DISCONNECTED" } } });
    expect(await failure(admin, Q.refuse, { id: p2.id })).toEqual({ code: "CONFLICT", reason: "INVALID_STATE" });

    const states = Object.fromEntries((await admin.must(Q.users, { id: conf.id })).users.map((u: any) => [u.entity, u.joinState]));
    expect(states).toEqual({ "sip:mod@lobby.test": "CONNECTED", "sip:p1@lobby.test": "CONNECTED", "sip:p2@lobby.test": "DISCONNECTED" });

    // the subscriber saw exactly the log
    await live.until((s) => lastSeq(s) === log.seq);
    expect(eventsOf(live)).toEqual(await eventsAfter(conf.id, conf.version));
    live.stop();
  });

  test("PIN: missing or wrong PIN is FORBIDDEN; the conference PIN admits; a per-user PIN identifies its user", async () => {
    const conf = await createConference({
      subject: "Pin", joinHandling: "PIN", pin: "1234",
      users: [{ entity: "sip:pinned@pin.test", displayName: "Pinned", pin: "987654" }],
    });
    expect(conf).toMatchObject({ joinHandling: "PIN", hasPin: true });
    const pinned = conf.users[0];
    expect(pinned.hasPin).toBe(true);
    const log = new Log(conf.id);
    log.seq = conf.version;

    expect(await failure(admin, Q.join, { c: conf.id, entity: "sip:caller@pin.test" })).toEqual({ code: "FORBIDDEN", reason: "PIN_REQUIRED" });
    expect(await failure(admin, Q.join, { c: conf.id, entity: "sip:caller@pin.test", pin: "0000" })).toEqual({ code: "FORBIDDEN", reason: "WRONG_PIN" });
    expect(await log.next()).toEqual([]);

    const caller = await join(conf.id, "sip:caller@pin.test", { pin: "1234" });
    expect(caller).toMatchObject({ entity: "sip:caller@pin.test", joinState: "CONNECTED", hasPin: false });
    expect(await log.types()).toEqual(["USER_ADDED", "USER_JOINED"]);

    // whoever dials in with Pinned's PIN is Pinned: no new user
    const identified = await join(conf.id, "sip:unknown-caller@pin.test", { pin: "987654" });
    expect(identified).toMatchObject({ id: pinned.id, entity: "sip:pinned@pin.test", displayName: "Pinned", joinState: "CONNECTED" });
    const ev = await log.next();
    expect(ev).toMatchObject([{ type: "USER_JOINED", payload: { user: { id: pinned.id, entity: "sip:pinned@pin.test" } } }]);
    const entities = (await admin.must(Q.users, { id: conf.id })).users.map((u: any) => u.entity).sort();
    expect(entities).toEqual(["sip:caller@pin.test", "sip:pinned@pin.test"]);
  });

  test("lock refuses joins with CONFERENCE_LOCKED; maxUsers refuses them with CONFERENCE_FULL", async () => {
    const conf = await createConference({ subject: "Lock and size", maxUsers: 2 });
    const log = new Log(conf.id);
    log.seq = conf.version;

    expect((await admin.must(Q.lock, { id: conf.id })).lockConference).toEqual({ id: conf.id, locked: true });
    expect(await log.next()).toMatchObject([{ type: "CONFERENCE_LOCKED", payload: { conference: { id: conf.id, locked: true } } }]);
    expect((await admin.must(Q.lock, { id: conf.id })).lockConference.locked).toBe(true); // no change, no event
    expect(await failure(admin, Q.join, { c: conf.id, entity: "sip:x@size.test" })).toEqual({ code: "CONFLICT", reason: "CONFERENCE_LOCKED" });
    expect(await log.next()).toEqual([]);
    expect((await admin.must(Q.unlock, { id: conf.id })).unlockConference.locked).toBe(false);
    expect(await log.next()).toMatchObject([{ type: "CONFERENCE_UNLOCKED", payload: { conference: { locked: false } } }]);

    const x = await join(conf.id, "sip:x@size.test");
    await join(conf.id, "sip:y@size.test");
    expect(await log.types()).toEqual(["USER_ADDED", "USER_JOINED", "USER_ADDED", "USER_JOINED"]);
    expect(await failure(admin, Q.join, { c: conf.id, entity: "sip:z@size.test" })).toEqual({ code: "CONFLICT", reason: "CONFERENCE_FULL" });
    expect(await log.next()).toEqual([]); // not even the USER_ADDED of the refused caller

    // someone leaves: there is room again
    expect((await admin.must(Q.leave, { id: x.id })).leaveConference).toMatchObject({ id: x.id, joinState: "DISCONNECTED", via: null });
    expect(await log.next()).toMatchObject([{ type: "USER_LEFT", payload: { user: { id: x.id, joinState: "DISCONNECTED" } } }]);
    expect((await join(conf.id, "sip:z@size.test")).joinState).toBe("CONNECTED");
    expect(await log.types()).toEqual(["USER_ADDED", "USER_JOINED"]);
  });

  test("muteUser, unmuteUser and muteAll (chairs stay unmuted; the count is returned)", async () => {
    const conf = await createConference({ subject: "Mute", users: [{ entity: "sip:chair@mute.test", role: "MODERATOR" }, { entity: "sip:idle@mute.test" }] });
    const chair = await join(conf.id, "sip:chair@mute.test");
    const [p1, p2, p3] = [await join(conf.id, "sip:p1@mute.test"), await join(conf.id, "sip:p2@mute.test"), await join(conf.id, "sip:p3@mute.test")];
    const log = new Log(conf.id);
    await log.next();

    expect((await admin.must(Q.mute, { id: p3.id })).muteUser).toMatchObject({ id: p3.id, muted: true });
    expect(await log.next()).toMatchObject([{ type: "USER_MUTED", actor: adminActor(), payload: { user: { id: p3.id, muted: true } } }]);
    expect((await admin.must(Q.mute, { id: p3.id })).muteUser.muted).toBe(true);
    expect(await log.next()).toEqual([]); // muting a muted user changes nothing

    // a user unmutes and mutes themself
    const asP3 = await tokenFor(p3.id);
    expect((await asP3.must(Q.unmute, { id: p3.id })).unmuteUser).toMatchObject({ id: p3.id, muted: false });
    expect(await log.next()).toMatchObject([{ type: "USER_UNMUTED", actor: { kind: "user", id: p3.id }, payload: { user: { id: p3.id, muted: false } } }]);
    await asP3.must(Q.mute, { id: p3.id });
    expect(await log.types()).toEqual(["USER_MUTED"]);

    // muteAll: the connected, unmuted non-chairs (p1, p2); not the chair, not the muted p3, not the idle one
    expect((await admin.must(Q.muteAll, { c: conf.id })).muteAll).toBe(2);
    const muted = await log.next();
    expect(muted.map((e) => e.type)).toEqual(["USER_MUTED", "USER_MUTED"]);
    expect(muted.map((e) => e.payload.user.id).sort()).toEqual([p1.id, p2.id].sort());
    expect(muted.every((e) => e.payload.user.muted === true)).toBe(true);
    const byEntity = Object.fromEntries((await admin.must(Q.users, { id: conf.id })).users.map((u: any) => [u.entity, u.muted]));
    expect(byEntity).toEqual({ "sip:chair@mute.test": false, "sip:idle@mute.test": false, "sip:p1@mute.test": true, "sip:p2@mute.test": true, "sip:p3@mute.test": true });
    expect(chair.role).toBe("MODERATOR");

    expect((await admin.must(Q.muteAll, { c: conf.id })).muteAll).toBe(0);
    expect(await log.next()).toEqual([]);

    // a moderator unmutes someone
    expect((await admin.must(Q.unmute, { id: p1.id })).unmuteUser.muted).toBe(false);
    expect(await log.next()).toMatchObject([{ type: "USER_UNMUTED", payload: { user: { id: p1.id, muted: false } } }]);
  });

  test("kickUser disconnects with USER_KICKED; leaveConference with USER_LEFT", async () => {
    const conf = await createConference({ subject: "Kick" });
    const a = await join(conf.id, "sip:a@kick.test");
    const b = await join(conf.id, "sip:b@kick.test");
    const log = new Log(conf.id);
    await log.next();

    expect((await admin.must(Q.kick, { id: a.id })).kickUser).toMatchObject({ id: a.id, joinState: "DISCONNECTED", via: null });
    expect(await log.next()).toMatchObject([{ type: "USER_KICKED", actor: adminActor(), payload: { user: { id: a.id, joinState: "DISCONNECTED" } } }]);
    expect((await admin.must(Q.user, { id: a.id })).user.joinState).toBe("DISCONNECTED");
    expect(await failure(admin, Q.kick, { id: a.id })).toEqual({ code: "CONFLICT", reason: "INVALID_STATE" });

    const asB = await tokenFor(b.id);
    expect((await asB.must(Q.leave, { id: b.id })).leaveConference).toMatchObject({ id: b.id, joinState: "DISCONNECTED" });
    expect(await log.next()).toMatchObject([{ type: "USER_LEFT", actor: { kind: "user", id: b.id }, payload: { user: { id: b.id } } }]);
    expect(await failure(asB, Q.leave, { id: b.id })).toEqual({ code: "CONFLICT", reason: "INVALID_STATE" });
    expect(await log.next()).toEqual([]);
  });

  test("endConference disconnects everyone, closes floor requests, ENDED; joins afterwards are CONFERENCE_NOT_ACTIVE", async () => {
    const conf = await createConference({ subject: "End", joinHandling: "LOBBY", users: [{ entity: "sip:mod@end.test", role: "MODERATOR" }, { entity: "sip:invited@end.test" }] });
    const live = streamOf(socket(), conf.id);
    await live.until((s) => s.items.length === 1);
    const mod = await join(conf.id, "sip:mod@end.test");
    const p1 = await join(conf.id, "sip:p1@end.test");
    await admin.must(Q.admit, { id: p1.id });
    const p2 = await join(conf.id, "sip:p2@end.test");
    expect(p2.joinState).toBe("LOBBY");
    const req = (await admin.must(Q.request, { f: conf.floors[0].id, u: p1.id })).requestFloor;
    await admin.must(Q.grant, { r: req.id });
    const log = new Log(conf.id);
    await log.next();

    expect((await admin.must(Q.end, { id: conf.id })).endConference).toEqual({ id: conf.id, status: "ENDED", locked: false });
    const ended = await log.next();
    expect(ended.map((e) => e.type)).toEqual(["USER_LEFT", "USER_LEFT", "USER_LEFT", "FLOOR_REQUEST_CHANGED", "CONFERENCE_ENDED"]);
    expect(ended.slice(0, 3).map((e) => e.payload.user.id).sort()).toEqual([mod.id, p1.id, p2.id].sort());
    expect(ended.slice(0, 3).every((e) => e.payload.user.joinState === "DISCONNECTED")).toBe(true);
    expect(ended[3].payload.request).toMatchObject({ id: req.id, status: "REVOKED" });
    expect(ended[4]).toMatchObject({ actor: adminActor(), payload: { final: true, reason: "moderator", conference: { id: conf.id, status: "ENDED" } } });

    const after = await conference(conf.id);
    expect(after.status).toBe("ENDED");
    expect(Object.fromEntries(after.users.map((u: any) => [u.entity, u.joinState]))).toEqual({
      "sip:mod@end.test": "DISCONNECTED", "sip:invited@end.test": "INVITED", "sip:p1@end.test": "DISCONNECTED", "sip:p2@end.test": "DISCONNECTED",
    });
    expect(after.floors[0].id).toBe(conf.floors[0].id);
    expect((await admin.must(Q.floor, { id: conf.floors[0].id })).floor.queue).toEqual([]);

    expect(await failure(admin, Q.join, { c: conf.id, entity: "sip:late@end.test" })).toEqual({ code: "CONFLICT", reason: "CONFERENCE_NOT_ACTIVE" });
    expect(await failure(admin, Q.join, { c: conf.id, entity: "sip:mod@end.test" })).toEqual({ code: "CONFLICT", reason: "CONFERENCE_NOT_ACTIVE" });
    expect(await failure(admin, Q.end, { id: conf.id })).toEqual({ code: "CONFLICT", reason: "INVALID_STATE" });
    expect(await failure(admin, Q.lock, { id: conf.id })).toEqual({ code: "CONFLICT", reason: "CONFERENCE_NOT_ACTIVE" });
    expect(await log.next()).toEqual([]);

    await live.until((s) => lastSeq(s) === log.seq);
    expect(eventsOf(live)).toEqual(await eventsAfter(conf.id, live.items[0].state.version));
    live.stop();
  });
});

// ---------------------------------------------------------------------------------------------------
// 2. Floors

describe("floors", () => {
  test("a holder demoted to OBSERVER gives up the floor, and the FCFS queue moves on", async () => {
    const conf = await createConference({ subject: "Demotion", floors: [{ label: "audio", policy: "FCFS", maxHolders: 1 }] });
    const floorId = conf.floors[0].id;
    const [a, b] = [await join(conf.id, "sip:a@demote.test"), await join(conf.id, "sip:b@demote.test")];
    const ra = (await admin.must(Q.request, { f: floorId, u: a.id })).requestFloor;
    const rb = (await admin.must(Q.request, { f: floorId, u: b.id })).requestFloor;
    expect([ra.status, rb.status]).toEqual(["GRANTED", "PENDING"]);
    const log = new Log(conf.id);
    await log.next();
    await admin.must(`mutation($id: ID!) { updateUser(id: $id, patch: { role: OBSERVER }) { role } }`, { id: a.id });
    expect((await log.next()).map((e) => [e.type, e.payload.request?.userId ?? e.payload.user.id, e.payload.request?.status ?? e.payload.user.role])).toEqual([
      ["FLOOR_REQUEST_CHANGED", a.id, "RELEASED"],
      ["FLOOR_REQUEST_CHANGED", b.id, "GRANTED"],
      ["USER_UPDATED", a.id, "OBSERVER"],
    ]);
    expect((await admin.must(Q.floor, { id: floorId })).floor.queue.map((r: any) => [r.userId, r.status])).toEqual([[b.id, "GRANTED"]]);
  });

  test("MODERATED: request, grant, FLOOR_FULL, duplicate, queue order, deny, revoke, release and cancel", async () => {
    const conf = await createConference({ subject: "Moderated floor", floors: [{ label: "audio", policy: "MODERATED", maxHolders: 1 }] });
    const floorId = conf.floors[0].id;
    expect(conf.floors[0]).toMatchObject({ label: "audio", policy: "MODERATED", maxHolders: 1 });
    const [a, b, c, d] = [await join(conf.id, "sip:a@floor.test"), await join(conf.id, "sip:b@floor.test"), await join(conf.id, "sip:c@floor.test"), await join(conf.id, "sip:d@floor.test")];
    const log = new Log(conf.id);
    await log.next();
    const changes = async () => (await log.next()).map((e) => {
      expect(e.type).toBe("FLOOR_REQUEST_CHANGED");
      return [e.payload.request.userId, e.payload.request.status];
    });
    const queue = async () => (await admin.must(Q.floor, { id: floorId })).floor.queue.map((r: any) => [r.userId, r.status]);

    // a asks for itself with its own token
    const asA = await tokenFor(a.id);
    const ra = (await asA.must(Q.request, { f: floorId })).requestFloor;
    expect(ra).toMatchObject({ floorId, floorLabel: "audio", userId: a.id, status: "PENDING", priority: 0 });
    const [pendingEvent] = await log.next();
    expect(pendingEvent).toMatchObject({ type: "FLOOR_REQUEST_CHANGED", actor: { kind: "user", id: a.id }, payload: { request: { id: ra.id, floorId, userId: a.id, status: "PENDING" } } });
    expect(await failure(asA, Q.request, { f: floorId })).toEqual({ code: "CONFLICT", reason: "DUPLICATE" });

    expect((await admin.must(Q.grant, { r: ra.id })).grantFloor).toMatchObject({ id: ra.id, status: "GRANTED" });
    expect(await changes()).toEqual([[a.id, "GRANTED"]]);
    expect(await failure(asA, Q.request, { f: floorId })).toEqual({ code: "CONFLICT", reason: "DUPLICATE" });

    // b waits; a second holder is beyond maxHolders
    const rb = (await admin.must(Q.request, { f: floorId, u: b.id })).requestFloor;
    expect(rb.status).toBe("PENDING");
    expect(await failure(admin, Q.grant, { r: rb.id })).toEqual({ code: "CONFLICT", reason: "FLOOR_FULL" });
    expect(await changes()).toEqual([[b.id, "PENDING"]]);

    // queue order: holders, then priority (highest first), then first come
    const rc = (await admin.must(Q.request, { f: floorId, u: c.id, p: 3 })).requestFloor;
    const rd = (await admin.must(Q.request, { f: floorId, u: d.id, p: 3 })).requestFloor;
    expect([rc.priority, rd.priority]).toEqual([3, 3]);
    expect(await queue()).toEqual([[a.id, "GRANTED"], [c.id, "PENDING"], [d.id, "PENDING"], [b.id, "PENDING"]]);
    expect(await changes()).toEqual([[c.id, "PENDING"], [d.id, "PENDING"]]);

    // deny b; revoke a
    expect((await admin.must(Q.deny, { r: rb.id })).denyFloor.status).toBe("DENIED");
    expect(await failure(admin, Q.deny, { r: rb.id })).toEqual({ code: "CONFLICT", reason: "INVALID_STATE" });
    expect((await admin.must(Q.revoke, { r: ra.id })).revokeFloor.status).toBe("REVOKED");
    expect(await failure(admin, Q.revoke, { r: ra.id })).toEqual({ code: "CONFLICT", reason: "INVALID_STATE" });
    expect(await changes()).toEqual([[b.id, "DENIED"], [a.id, "REVOKED"]]);
    expect(await queue()).toEqual([[c.id, "PENDING"], [d.id, "PENDING"]]); // a MODERATED floor promotes nobody

    // the chair picks d; the holder goes first in the queue
    expect((await admin.must(Q.grant, { r: rd.id })).grantFloor.status).toBe("GRANTED");
    expect(await queue()).toEqual([[d.id, "GRANTED"], [c.id, "PENDING"]]);

    // requesters release: a granted request is RELEASED, a pending one CANCELLED
    const asD = await tokenFor(d.id);
    const asC = await tokenFor(c.id);
    expect((await asD.must(Q.release, { r: rd.id })).releaseFloor).toMatchObject({ id: rd.id, status: "RELEASED" });
    expect((await asC.must(Q.release, { r: rc.id })).releaseFloor).toMatchObject({ id: rc.id, status: "CANCELLED" });
    expect(await failure(asC, Q.release, { r: rc.id })).toEqual({ code: "CONFLICT", reason: "INVALID_STATE" });
    expect(await changes()).toEqual([[d.id, "GRANTED"], [d.id, "RELEASED"], [c.id, "CANCELLED"]]);
    expect(await queue()).toEqual([]);

    // a closed request does not block a new one
    const again = (await asA.must(Q.request, { f: floorId, p: 4 })).requestFloor;
    expect(again).toMatchObject({ userId: a.id, status: "PENDING", priority: 4 });
    expect(again.id).not.toBe(ra.id);
    expect(await changes()).toEqual([[a.id, "PENDING"]]);
  });

  test("FCFS: granted at once while there is room, the next is promoted on release and when the holder is kicked", async () => {
    const conf = await createConference({ subject: "FCFS floor", floors: [{ label: "audio", policy: "FCFS", maxHolders: 1 }] });
    const floorId = conf.floors[0].id;
    expect(conf.floors[0]).toMatchObject({ label: "audio", policy: "FCFS", maxHolders: 1 });
    const [a, b, c] = [await join(conf.id, "sip:a@fcfs.test"), await join(conf.id, "sip:b@fcfs.test"), await join(conf.id, "sip:c@fcfs.test")];
    const log = new Log(conf.id);
    await log.next();
    const requestEvents = async () => (await log.next()).map((e) => (e.type === "FLOOR_REQUEST_CHANGED" ? [e.payload.request.id, e.payload.request.status] : [e.type, e.payload.user?.id]));
    const queue = async () => (await admin.must(Q.floor, { id: floorId })).floor.queue.map((r: any) => [r.userId, r.status]);

    const asA = await tokenFor(a.id);
    const ra = (await asA.must(Q.request, { f: floorId })).requestFloor;
    expect(ra).toMatchObject({ userId: a.id, status: "GRANTED" });
    expect(await requestEvents()).toEqual([[ra.id, "PENDING"], [ra.id, "GRANTED"]]);

    const rb = (await admin.must(Q.request, { f: floorId, u: b.id })).requestFloor;
    expect(rb.status).toBe("PENDING");
    const rc = (await admin.must(Q.request, { f: floorId, u: c.id })).requestFloor;
    expect(rc.status).toBe("PENDING");
    expect(await requestEvents()).toEqual([[rb.id, "PENDING"], [rc.id, "PENDING"]]);
    expect(await queue()).toEqual([[a.id, "GRANTED"], [b.id, "PENDING"], [c.id, "PENDING"]]);

    // a releases: b (first come) is granted in the same step
    expect((await asA.must(Q.release, { r: ra.id })).releaseFloor.status).toBe("RELEASED");
    expect(await requestEvents()).toEqual([[ra.id, "RELEASED"], [rb.id, "GRANTED"]]);
    expect(await queue()).toEqual([[b.id, "GRANTED"], [c.id, "PENDING"]]);

    // b is kicked: b's floor is released, c is granted, then b is out
    expect((await admin.must(Q.kick, { id: b.id })).kickUser.joinState).toBe("DISCONNECTED");
    expect(await requestEvents()).toEqual([[rb.id, "RELEASED"], [rc.id, "GRANTED"], ["USER_KICKED", b.id]]);
    expect(await queue()).toEqual([[c.id, "GRANTED"]]);

    // a disconnected user cannot ask
    expect(await failure(admin, Q.request, { f: floorId, u: b.id })).toEqual({ code: "CONFLICT", reason: "INVALID_STATE" });
    expect(await log.next()).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------
// 3. Ordering under concurrency

test("5 subscribers get FULL_STATE, then every event of 20 concurrent mutators in seq order with no gap or duplicate (and so do 2 that arrive mid-burst)", async () => {
  const conf = await createConference({ subject: "Ordering" });
  const subs = Array.from({ length: 5 }, () => streamOf(socket(), conf.id));
  await Promise.all(subs.map((s) => s.until((x) => x.items.length >= 1)));
  for (const s of subs) expect(s.items[0]).toMatchObject({ kind: "FULL_STATE", state: { version: conf.version, origin: "island-a.test" } });
  const v0 = conf.version;
  // two more subscribers arrive in the middle of the burst: one with a full state, one resuming from a seq
  let late: Subscription[] = [];

  const mutator = async (i: number): Promise<number> => {
    const users: any[] = [];
    for (let j = 0; j < 3; j++) users.push((await admin.must(Q.addUser, { c: conf.id, input: { entity: `sip:m${i}-${j}@ordering.test` } })).addUser);
    await admin.must(Q.join, { c: conf.id, entity: users[0].entity });
    if (i === 0) late = [streamOf(socket(), conf.id), streamOf(socket(), conf.id, v0 + 2)]; // this mutator alone wrote v0+1..v0+4
    for (const u of [users[0], users[1], users[2]]) {
      await admin.must(Q.mute, { id: u.id });
      await admin.must(Q.unmute, { id: u.id });
    }
    return 10; // each of these mutations writes exactly one event
  };
  const written = (await Promise.all(Array.from({ length: 20 }, (_, i) => mutator(i)))).reduce((a, b) => a + b, 0);

  const final = (await conference(conf.id)).version;
  expect(final).toBe(v0 + written);
  const log = await eventsAfter(conf.id, v0);
  expect(log.map((e) => e.seq)).toEqual(range(v0 + 1, final));
  expect(log.filter((e) => e.type === "USER_ADDED")).toHaveLength(60);

  await Promise.all(subs.map((s) => s.until((x) => (lastSeq(x) ?? 0) >= final)));
  for (const s of subs) {
    expect(s.errors).toEqual([]);
    expect(s.items[0].kind).toBe("FULL_STATE");
    expect(s.items.slice(1).every((i) => i.kind === "EVENT")).toBe(true);
    expect(s.items.slice(1).map((i) => i.event.seq)).toEqual(range(v0 + 1, final));
    expect(s.items.slice(1).map((i) => i.event)).toEqual(log);
  }
  // the late ones: a full state taken mid-burst agrees with the log at its version, then the rest in order
  await Promise.all(late.map((s) => s.until((x) => (lastSeq(x) ?? 0) >= final)));
  const [lateFull, lateResume] = late as [Subscription, Subscription];
  expect(lateFull.errors).toEqual([]);
  expect(lateFull.items[0].kind).toBe("FULL_STATE");
  const vl = lateFull.items[0].state.version;
  expect(vl).toBeGreaterThanOrEqual(v0 + 4);
  expect(lateFull.items.slice(1).map((i) => i.event.seq)).toEqual(range(vl + 1, final));
  expect(lateFull.items.slice(1).map((i) => i.event)).toEqual(log.filter((e) => e.seq > vl));
  const usersAt = new Map<string, any>();
  for (const e of log) if (e.seq <= vl) usersAt.set(e.payload.user.entity, e.payload.user);
  const pick = (u: any) => [u.entity, u.joinState, u.muted];
  const byEntity = (a: any[], b: any[]) => String(a[0]).localeCompare(String(b[0]));
  expect(lateFull.items[0].state.users.map(pick).sort(byEntity)).toEqual([...usersAt.values()].map(pick).sort(byEntity));
  expect(lateResume.errors).toEqual([]);
  expect(lateResume.items.every((i) => i.kind === "EVENT")).toBe(true);
  expect(lateResume.items.map((i) => i.event.seq)).toEqual(range(v0 + 3, final));
  expect(lateResume.items.map((i) => i.event)).toEqual(log.slice(2));

  // per user, the order of its own events is the order its mutator wrote them
  const perUser = new Map<string, string[]>();
  for (const e of log) perUser.set(e.payload.user.entity, [...(perUser.get(e.payload.user.entity) ?? []), e.type]);
  for (let i = 0; i < 20; i++) {
    expect(perUser.get(`sip:m${i}-0@ordering.test`)).toEqual(["USER_ADDED", "USER_JOINED", "USER_MUTED", "USER_UNMUTED"]);
    expect(perUser.get(`sip:m${i}-1@ordering.test`)).toEqual(["USER_ADDED", "USER_MUTED", "USER_UNMUTED"]);
  }
  [...subs, ...late].forEach((s) => s.stop());
});

// ---------------------------------------------------------------------------------------------------
// 4. Resuming

test("resume with sinceSeq: exactly the missed events then live ones; 0 replays all; beyond the version is a FULL_STATE; negative is refused", async () => {
  const conf = await createConference({ subject: "Resume", users: [{ entity: "sip:u@resume.test" }] });
  const u = conf.users[0];
  const first = socket();
  const s1 = streamOf(first, conf.id);
  await s1.until((s) => s.items.length === 1);
  expect(s1.items[0]).toMatchObject({ kind: "FULL_STATE", state: { version: conf.version } });
  await admin.must(Q.mute, { id: u.id });
  await admin.must(Q.unmute, { id: u.id });
  await admin.must(Q.mute, { id: u.id });
  await s1.until((s) => s.items.length === 4);
  const seen = lastSeq(s1)!;
  expect(seen).toBe(conf.version + 3);

  // disconnect: the server lets go of the stream
  await first.dispose();
  await eventually(() => t.focus.domain.bus.listenerCount(conf.id) === 0, "the stream to unsubscribe");
  expect(t.focus.domain.bus.listenerCount(conf.id)).toBe(0);

  // missed while away
  await admin.must(Q.unmute, { id: u.id });
  await admin.must(Q.addUser, { c: conf.id, input: { entity: "sip:v@resume.test" } });
  await admin.must(Q.lock, { id: conf.id });
  await admin.must(Q.unlock, { id: conf.id });
  await join(conf.id, "sip:u@resume.test");
  const missedTypes = ["USER_UNMUTED", "USER_ADDED", "CONFERENCE_LOCKED", "CONFERENCE_UNLOCKED", "USER_JOINED"];

  const s2 = streamOf(socket(), conf.id, seen);
  await s2.until((s) => s.items.length === 5);
  expect(s2.items.map((i) => i.kind)).toEqual(["EVENT", "EVENT", "EVENT", "EVENT", "EVENT"]);
  expect(s2.items.map((i) => i.event.seq)).toEqual(range(seen + 1, seen + 5));
  expect(s2.items.map((i) => i.event.type)).toEqual(missedTypes);
  expect(eventsOf(s2)).toEqual(await eventsAfter(conf.id, seen));
  // then live
  await admin.must(Q.mute, { id: u.id });
  await s2.until((s) => s.items.length === 6);
  expect(s2.items[5]).toMatchObject({ kind: "EVENT", event: { seq: seen + 6, type: "USER_MUTED" } });

  // sinceSeq 0: the whole log from seq 1
  const version = (await conference(conf.id)).version;
  expect(version).toBe(seen + 6);
  const s3 = streamOf(socket(), conf.id, 0);
  await s3.until((s) => lastSeq(s) === version);
  expect(s3.items.every((i) => i.kind === "EVENT")).toBe(true);
  expect(s3.items.map((i) => i.event.seq)).toEqual(range(1, version));
  expect(s3.items.slice(0, 3).map((i) => i.event.type)).toEqual(["CONFERENCE_CREATED", "USER_ADDED", "CONFERENCE_STARTED"]);
  expect(eventsOf(s3)).toEqual(await eventsAfter(conf.id, 0));

  // sinceSeq equal to the version: nothing until the next event
  const s4 = streamOf(socket(), conf.id, version);
  // sinceSeq beyond the version: the log cannot say what was missed, so a full state
  const s5 = streamOf(socket(), conf.id, version + 50);
  await s5.until((s) => s.items.length === 1);
  expect(s5.items[0]).toMatchObject({ kind: "FULL_STATE", state: { version, conference: { id: conf.id } } });
  expect(s5.items[0].state.users.map((x: any) => x.entity).sort()).toEqual(["sip:u@resume.test", "sip:v@resume.test"]);
  await admin.must(Q.lock, { id: conf.id });
  for (const s of [s3, s4, s5]) await s.until((x) => lastSeq(x) === version + 1);
  expect(s4.items.map((i) => [i.kind, i.event?.seq, i.event?.type])).toEqual([["EVENT", version + 1, "CONFERENCE_LOCKED"]]);
  expect(s5.items.map((i) => i.kind)).toEqual(["FULL_STATE", "EVENT"]);
  expect(s3.items).toHaveLength(version + 1);

  // a negative seq is bad input
  const bad = streamOf(socket(), conf.id, -1);
  await bad.until((s) => s.errors.length > 0);
  expect(bad.items).toEqual([]);
  expect(bad.errors[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "sinceSeq" });
  [s2, s3, s4, s5].forEach((s) => s.stop());
});

// ---------------------------------------------------------------------------------------------------
// 5. Roster

test("roster subscription: the current users first, then the whole updated list after each change to a user", async () => {
  const conf = await createConference({ subject: "Roster", users: [{ entity: "sip:mod@roster.test", role: "MODERATOR" }] });
  const mod = conf.users[0];
  const r = subscribe(socket(), Q.rosterSub, { id: conf.id }, (d) => d.roster);
  await r.until((s) => s.items.length === 1);
  expect(r.items[0]).toEqual((await admin.must(Q.users, { id: conf.id })).users);
  const view = (list: any[]) => list.map((u) => [u.entity, u.joinState, u.muted]);

  const p = await join(conf.id, "sip:p@roster.test"); // USER_ADDED then USER_JOINED: two lists
  await r.until((s) => s.items.length === 3);
  // a floor request changes no user: no list for it; the mute after it is the next list
  await admin.must(Q.request, { f: conf.floors[0].id, u: p.id });
  await admin.must(Q.mute, { id: p.id });
  await r.until((s) => s.items.length === 4);
  await admin.must(Q.kick, { id: p.id });
  await r.until((s) => s.items.length === 5);
  await admin.must(Q.removeUser, { id: p.id });
  await r.until((s) => s.items.length === 6);

  expect(r.items.map(view)).toEqual([
    [["sip:mod@roster.test", "INVITED", false]],
    [["sip:mod@roster.test", "INVITED", false], ["sip:p@roster.test", "INVITED", false]],
    [["sip:mod@roster.test", "INVITED", false], ["sip:p@roster.test", "CONNECTED", false]],
    [["sip:mod@roster.test", "INVITED", false], ["sip:p@roster.test", "CONNECTED", true]],
    [["sip:mod@roster.test", "INVITED", false], ["sip:p@roster.test", "DISCONNECTED", true]],
    [["sip:mod@roster.test", "INVITED", false]],
  ]);
  expect(r.items[5]).toEqual([mod]);
  expect(r.items[4][1]).toEqual({ ...p, joinState: "DISCONNECTED", via: null, muted: true });
  expect(r.errors).toEqual([]);
  r.stop();
});

// ---------------------------------------------------------------------------------------------------
// 7. Deletion

test("CONFERENCE_DELETED reaches the subscribers of the conference and its sidebars, and their subscriptions complete", async () => {
  const conf = await createConference({ subject: "Doomed", users: [{ entity: "sip:a@doomed.test" }] });
  const side = (await admin.must(Q.sidebar, { p: conf.id, input: { kind: "BY_REFERENCE", subject: "Side", users: [{ entity: "sip:b@doomed.test" }] } })).createSidebar;
  const ws = socket();
  const s1 = streamOf(ws, conf.id);
  const s2 = streamOf(ws, side.id);
  const r = subscribe(ws, Q.rosterSub, { id: conf.id }, (d) => d.roster);
  await Promise.all([s1, s2, r].map((s) => s.until((x) => x.items.length === 1)));
  expect(t.focus.domain.bus.listenerCount(conf.id)).toBe(2);

  expect((await admin.must(Q.deleteConference, { id: conf.id })).deleteConference).toBe(conf.id);
  await Promise.all([s1, s2, r].map((s) => s.until((x) => x.completed)));
  for (const [s, id] of [[s1, conf.id], [s2, side.id]] as const) {
    expect(s.errors).toEqual([]);
    expect(s.items.map((i) => i.kind)).toEqual(["FULL_STATE", "EVENT"]);
    expect(s.items[1].event).toMatchObject({ conferenceId: id, type: "CONFERENCE_DELETED", payload: { conferenceId: id }, actor: adminActor() });
  }
  expect(r.items).toHaveLength(1);
  expect(r.errors).toEqual([]);
  expect(t.focus.domain.bus.listenerCount(conf.id)).toBe(0);
  expect(t.focus.domain.bus.listenerCount(side.id)).toBe(0);

  // the conference and its log are gone
  expect(await failure(admin, Q.events, { id: conf.id, after: 0, limit: 10 })).toEqual({ code: "NOT_FOUND" });
  expect(await failure(admin, Q.conference, { id: side.id })).toEqual({ code: "NOT_FOUND" });
  const late = streamOf(ws, conf.id);
  await late.until((s) => s.errors.length > 0);
  expect(late.errors[0].extensions).toMatchObject({ code: "NOT_FOUND" });
});

// ---------------------------------------------------------------------------------------------------
// 6. Restarts (the focus as a child process)

describe("no event lost across a restart", () => {
  async function start(databaseUrl: string): Promise<{ f: SpawnedFocus; api: HttpClient; focusPid: number }> {
    const f = await spawnFocus({ DATABASE_URL: databaseUrl });
    children.push(f);
    return { f, api: new HttpClient(f.url, ADMIN_TOKEN), focusPid: f.child.pid! };
  }

  /** Fires `n` addUser mutations at once; calls `stop` when `stopAfter` of them have succeeded. */
  async function burst(api: HttpClient, conferenceId: string, prefix: string, n: number, stopAfter: number, stop: () => void) {
    const ok: string[] = [];
    let failed = 0;
    await Promise.all(Array.from({ length: n }, async (_, i) => {
      const entity = `sip:${prefix}-${i}@burst.test`;
      try {
        const r = await api.request(Q.addUser, { c: conferenceId, input: { entity } });
        if (!r.errors && r.data?.addUser?.entity === entity) {
          ok.push(entity);
          if (ok.length === stopAfter) stop();
        } else failed++;
      } catch {
        failed++;
      }
    }));
    return { ok, failed };
  }

  /** The whole log through a subscription with sinceSeq 0, checked contiguous from seq 1. */
  async function replay(url: string, conferenceId: string, version: number): Promise<any[]> {
    const s = streamOf(socket(url), conferenceId, 0);
    await s.until((x) => lastSeq(x) === version);
    expect(s.items.every((i) => i.kind === "EVENT")).toBe(true);
    expect(s.items.map((i) => i.event.seq)).toEqual(range(1, version));
    s.stop();
    return eventsOf(s);
  }

  type Started = Awaited<ReturnType<typeof start>>;
  /** The focus the SIGKILL test restarted, left running for the graceful test (which starts its own when run alone). */
  let handover: { databaseUrl: string; running: Started; conferenceId: string; log: any[] } | null = null;

  test("SIGKILL in the middle of a burst: the log is contiguous and holds every acknowledged mutation", async () => {
    const databaseUrl = await freshDatabaseUrl();
    const one = await start(databaseUrl);
    const conf = await createConference({ subject: "Crash" }, one.api);

    const { ok, failed } = await burst(one.api, conf.id, "crash", 200, 100, () => process.kill(one.focusPid, "SIGKILL"));
    expect(await one.f.exited).toBe("SIGKILL");
    expect(ok.length).toBeGreaterThanOrEqual(100);
    expect(failed).toBeGreaterThan(0); // the kill did land in the middle of the burst
    expect(ok.length + failed).toBe(200);

    const two = await start(databaseUrl);
    const after = await conference(conf.id, two.api);
    const log = await replay(two.f.url, conf.id, after.version);
    expect(log.slice(0, 2).map((e) => e.type)).toEqual(["CONFERENCE_CREATED", "CONFERENCE_STARTED"]);
    expect(log.slice(2).every((e) => e.type === "USER_ADDED")).toBe(true);
    const added = log.filter((e) => e.type === "USER_ADDED").map((e) => e.payload.user.entity);
    expect(new Set(added).size).toBe(added.length);
    expect(ok.filter((e) => !added.includes(e))).toEqual([]); // every acknowledged mutation is in the log
    // state and log were committed together: each user has its event and each event its user
    expect(after.users.map((u: any) => u.entity).sort()).toEqual([...added].sort());
    expect(await eventsAfter(conf.id, 0, two.api)).toEqual(log);

    // the new process continues the sequence
    await two.api.must(Q.lock, { id: conf.id });
    const next = await eventsAfter(conf.id, after.version, two.api);
    expect(next).toMatchObject([{ seq: after.version + 1, type: "CONFERENCE_LOCKED" }]);
    handover = { databaseUrl, running: two, conferenceId: conf.id, log: [...log, ...next] };
  });

  test("graceful restart (SIGTERM, exit 0) in the middle of a burst keeps everything, and a subscriber resumes where it was", async () => {
    const { databaseUrl, running: one, crashed } = handover
      ? { ...handover, crashed: { id: handover.conferenceId, log: handover.log } }
      : { databaseUrl: await freshDatabaseUrl(), running: null, crashed: null };
    handover = null;
    const { f, api, focusPid } = one ?? (await start(databaseUrl));
    const conf = await createConference({ subject: "Graceful", users: [{ entity: "sip:u@graceful.test" }] }, api);
    await api.must(Q.mute, { id: conf.users[0].id });
    const live = streamOf(socket(f.url), conf.id);
    await live.until((s) => s.items.length === 1);
    expect(live.items[0].state.version).toBe(conf.version + 1);

    // SIGTERM to the focus itself: tsx's launcher turns a SIGTERM that it has to relay to a busy child into a SIGKILL
    const { ok, failed } = await burst(api, conf.id, "graceful", 60, 30, () => process.kill(focusPid, "SIGTERM"));
    expect(await f.exited).toBe(0);
    expect(f.output()).toMatch(/"signal":"SIGTERM".*"msg":"shutting down"[^]*"msg":"focus stopped"/);
    expect(ok.length).toBeGreaterThanOrEqual(30);
    expect(ok.length + failed).toBe(60);
    await eventually(() => live.completed || live.errors.length > 0, "the subscription to end with the process");
    const seenBefore = eventsOf(live);
    const seen = seenBefore.length ? seenBefore.at(-1).seq : live.items[0].state.version;
    expect(seenBefore.map((e) => e.seq)).toEqual(range(conf.version + 2, seen));

    const two = await start(databaseUrl);
    const after = await conference(conf.id, two.api);
    expect(after.version).toBeGreaterThanOrEqual(seen);
    const log = await replay(two.f.url, conf.id, after.version);
    const added = log.filter((e) => e.type === "USER_ADDED").map((e) => e.payload.user.entity);
    expect(ok.filter((e) => !added.includes(e))).toEqual([]);
    expect(after.users.map((u: any) => u.entity).sort()).toEqual([...added].sort());
    expect(after.users.find((u: any) => u.entity === "sip:u@graceful.test").muted).toBe(true);
    // what the subscriber saw before the stop is exactly the log's
    expect(seenBefore).toEqual(log.slice(conf.version + 1, seen));
    // the conference of the SIGKILL test (same database, when run after it) is untouched
    if (crashed) expect(await eventsAfter(crashed.id, 0, two.api)).toEqual(crashed.log);

    // the subscriber resumes from its last seq: exactly the rest, then live
    const resumed = streamOf(socket(two.f.url), conf.id, seen);
    await two.api.must(Q.unmute, { id: conf.users[0].id });
    await resumed.until((s) => lastSeq(s) === after.version + 1);
    expect(resumed.items.every((i) => i.kind === "EVENT")).toBe(true);
    expect(resumed.items.map((i) => i.event.seq)).toEqual(range(seen + 1, after.version + 1));
    expect(eventsOf(resumed).slice(0, after.version - seen)).toEqual(log.slice(seen));
    expect(resumed.items.at(-1).event.type).toBe("USER_UNMUTED");
    resumed.stop();
    process.kill(two.focusPid, "SIGTERM");
    expect(await two.f.exited).toBe(0);
  });
});
