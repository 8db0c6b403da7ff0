// Peers: sipp (Debian sip-tester) callers and one baresip, and the focus as a child process killed with SIGKILL
// mid-conference.
/**
 * A focus killed mid-conference and restarted on the same database and SIP port: every caller it had gets a
 * BYE from the new process (from the dialog journal, with Reason "focus restarted"), the roster shows them
 * leave with ordinary USER_LEFT events continuing the log without a gap, everything else about the
 * conference is as it was (users, lock, floors, other floor requests), and new calls join as before. The
 * journal holds a row per live call and none once calls have ended.
 */
import type { Client } from "graphql-ws";
import { createPrismaClient, type PrismaClient } from "@dcon/db";
import {
  ADMIN_TOKEN, HttpClient, collect, freshDatabaseUrl, spawnFocus, startTestFocus, wsClient, type Collector, type SpawnedFocus,
} from "../../api/test/support/focus.ts";
import { freeUdpPort } from "../../api/test/support/net.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Baresip } from "./support/baresip.ts";
import { writeToneWav } from "./support/wav.ts";
import { expectSippOk, fillScenario, scenarios, sipp, type SippRun } from "./support/sipp.ts";

const USER = `id entity displayName role joinState via muted`;
const REQUEST = `id floorId floorLabel userId status priority`;
const EVENT = `seq type actor { kind id } payload`;
const Q = {
  create: `mutation($input: ConferenceInput!) { createConference(input: $input) { id dialInCode version } }`,
  conference: `query($id: ID!) { conference(id: $id) { id status version locked joinHandling maxUsers floors { id label policy maxHolders queue { ${REQUEST} } } users { ${USER} } } }`,
  events: `query($id: ID!, $after: Int!) { events(conferenceId: $id, afterSeq: $after, limit: 1000) { ${EVENT} } }`,
  join: `mutation($c: ID!, $entity: String) { joinConference(conferenceId: $c, entity: $entity) { ${USER} } }`,
  request: `mutation($f: ID!, $u: ID) { requestFloor(floorId: $f, userId: $u) { ${REQUEST} } }`,
  grant: `mutation($r: ID!) { grantFloor(requestId: $r) { ${REQUEST} } }`,
  lock: `mutation($id: ID!) { lockConference(id: $id) { locked } }`,
  unlock: `mutation($id: ID!) { unlockConference(id: $id) { locked } }`,
  kick: `mutation($id: ID!) { kickUser(id: $id) { joinState } }`,
  stream: `subscription($id: ID!, $since: Int) { conferenceEvents(conferenceId: $id, sinceSeq: $since) { kind state { version } event { ${EVENT} } } }`,
};

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

const children: SpawnedFocus[] = [];
const sockets: Client[] = [];
let db: PrismaClient | null = null;
let phone: Baresip | null = null;
const fixtures = mkdtempSync(join(tmpdir(), "dcon-crash-"));

afterAll(async () => {
  await phone?.quit();
  phone?.stop();
  if (!process.env.SOFTPHONE_KEEP_FILES) for (const dir of [fixtures, phone?.dir]) if (dir) rmSync(dir, { recursive: true, force: true });
  await Promise.all(sockets.map((s) => s.dispose()));
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGTERM");
  await Promise.all(children.map((c) => c.exited));
  await db?.$disconnect();
});

async function start(databaseUrl: string, sipPort: number): Promise<{ f: SpawnedFocus; api: HttpClient }> {
  const f = await spawnFocus({ DATABASE_URL: databaseUrl, SIP_PORT: String(sipPort) });
  children.push(f);
  return { f, api: new HttpClient(f.url, ADMIN_TOKEN) };
}

/** Polls server state until `pred` holds (not an assertion by itself: the caller asserts afterwards). */
async function eventually<T>(read: () => Promise<T>, pred: (v: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (pred(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stream(url: string, conferenceId: string, since?: number): Collector<any> {
  const ws = wsClient(url, ADMIN_TOKEN);
  sockets.push(ws);
  return collect(ws, Q.stream, { id: conferenceId, ...(since === undefined ? {} : { since }) }, (d) => d.conferenceEvents);
}

const journalRows = () => db!.sipDialog.findMany({ orderBy: { createdAt: "asc" } });

describe("sipp and baresip callers through a SIGKILL of the focus", () => {
  test("each caller gets the restarted focus' BYE; the roster, log, lock and floors recover; new calls join; the journal empties", async () => {
    const databaseUrl = await freshDatabaseUrl();
    const sipPort = await freeUdpPort();
    const one = await start(databaseUrl, sipPort);
    db = await createPrismaClient(databaseUrl);
    const { createConference: conf } = await one.api.must(Q.create, { input: { subject: "Crash", floors: [{ label: "audio", policy: "MODERATED", maxHolders: 1 }, { label: "video", policy: "FCFS", maxHolders: 1 }] } });

    // an API participant granted the audio floor; three sipp callers (one holding the video floor) and a softphone
    const { joinConference: apiUser } = await one.api.must(Q.join, { c: conf.id, entity: "api:moderator@crash.test" });
    const callers = ["alpha", "beta", "kicked"];
    const runs: Promise<SippRun>[] = callers.map((user) => sipp(sipPort, fillScenario("crash-bye.xml", { USER: user }), { service: conf.dialInCode, timeoutS: 120 }));
    // the softphone is silent, so that no talk state changes the log under the test (baresip hangs up when its
    // microphone file ends: longer than the test)
    const silence = writeToneWav(join(fixtures, "silence.wav"), [440], 200_000, 0);
    phone = await Baresip.start({ user: "softphone", displayName: "Softphone", address: "127.0.0.9", source: silence });
    await phone.dial(`sip:${conf.dialInCode}@127.0.0.1:${sipPort}`);
    await phone.waitFor("CALL_ESTABLISHED");
    const before = await eventually(() => one.api.must(Q.conference, { id: conf.id }).then((d) => d.conference),
      (c) => c.users.filter((u: any) => u.via === "sip" && u.joinState === "CONNECTED").length === 4, "four SIP callers connected");
    const sipUsers = before.users.filter((u: any) => u.via === "sip");
    expect(sipUsers.map((u: any) => u.entity).sort()).toEqual(["sip:alpha-1@127.0.0.1", "sip:beta-1@127.0.0.1", "sip:kicked-1@127.0.0.1", "sip:softphone@127.0.0.9"]);
    const audio = before.floors.find((f: any) => f.label === "audio");
    const video = before.floors.find((f: any) => f.label === "video");
    const held = (await one.api.must(Q.request, { f: audio.id, u: apiUser.id })).requestFloor;
    await one.api.must(Q.grant, { r: held.id });
    const beta = sipUsers.find((u: any) => u.entity.startsWith("sip:beta"));
    const asked = (await one.api.must(Q.request, { f: video.id, u: beta.id })).requestFloor;
    await one.api.must(Q.lock, { id: conf.id });

    // one row per live call, recorded by the process that answered it
    const rows = await eventually(journalRows, (r) => r.length === 4, "four journal rows");
    expect(rows.every((r) => r.conferenceId === conf.id && r.island === "island-a.test" && r.transport === "udp")).toBe(true);
    expect(rows.map((r) => r.userId).sort()).toEqual(sipUsers.map((u: any) => u.id).sort());

    // an API subscriber follows the conference up to the crash
    const live = stream(one.f.url, conf.id);
    const crashState = (await one.api.must(Q.conference, { id: conf.id })).conference;
    await live.until((items) => items.length > 0 && items[0].state?.version === crashState.version);

    const phoneEvents = phone.events.length;
    process.kill(one.f.child.pid!, "SIGKILL");
    expect(await one.f.exited).toBe("SIGKILL");
    await live.until(() => live.errors.length > 0).catch(() => {}); // the socket died with the process
    live.stop();

    // the migration at start wants the SQLite file to itself
    await db.$disconnect();
    const two = await start(databaseUrl, sipPort);
    db = await createPrismaClient(databaseUrl);
    // every caller of the dead process got a BYE with the Reason (the scenario fails without it) and answered it
    for (const run of await Promise.all(runs)) expectSippOk(run);
    // the softphone shows its call closed by the peer's BYE (its own hangup would be "Connection reset by user")
    expect((await phone.waitFor("CALL_CLOSED", { since: phoneEvents, timeoutMs: 30_000 })).param).toBe("Connection reset by peer");
    expect(phone.eventTypes(phoneEvents)).toEqual(["CALL_CLOSED"]); // nothing else happened to the call meanwhile
    expect(two.f.output()).toMatch(/"dialogs":4,"usersLeft":4.*recovering from an unclean stop/);

    const after = (await two.api.must(Q.conference, { id: conf.id })).conference;
    // the SIP users left; the API participant, the lock, the floors and the audio floor's holder are as before
    for (const u of after.users) {
      const was = before.users.find((b: any) => b.id === u.id);
      if (u.via === null && was.via === "sip") expect(u).toEqual({ ...was, joinState: "DISCONNECTED", via: null });
      else expect(u).toEqual(was);
    }
    expect(after.users.filter((u: any) => u.joinState === "DISCONNECTED").map((u: any) => u.id).sort()).toEqual(sipUsers.map((u: any) => u.id).sort());
    expect(after).toMatchObject({ status: "ACTIVE", locked: true, joinHandling: before.joinHandling, maxUsers: before.maxUsers });
    expect(after.floors.map(({ queue: _q, ...f }: any) => f)).toEqual(before.floors.map(({ queue: _q, ...f }: any) => f));
    expect(after.floors.find((f: any) => f.label === "audio").queue).toEqual([{ ...held, status: "GRANTED" }]);
    expect(after.floors.find((f: any) => f.label === "video").queue).toEqual([]); // beta's floor ended with its call

    // the log goes on without a gap: the leaves (and the end of beta's floor request) as the system's doing
    const log = (await two.api.must(Q.events, { id: conf.id, after: 0 })).events;
    expect(log.map((e: any) => e.seq)).toEqual(range(1, after.version));
    const recovery = log.slice(crashState.version);
    expect(recovery.filter((e: any) => e.type === "USER_LEFT").map((e: any) => e.payload.user.id).sort()).toEqual(sipUsers.map((u: any) => u.id).sort());
    expect(recovery.filter((e: any) => e.type === "FLOOR_REQUEST_CHANGED").map((e: any) => e.payload.request)).toEqual([
      expect.objectContaining({ id: asked.id, status: "RELEASED" }), // granted at once (first come, first served), released as by a leave
    ]);
    expect(recovery).toHaveLength(sipUsers.length + 1);
    expect(recovery.map((e: any) => e.actor)).toEqual(recovery.map(() => ({ kind: "system", id: "sip-recovery" })));

    // the subscriber resumes where it was and sees the same leaves
    const resumed = stream(two.f.url, conf.id, crashState.version);
    await resumed.until((items) => items.length === recovery.length);
    expect(resumed.items.map((i) => i.event.seq)).toEqual(range(crashState.version + 1, after.version));
    resumed.stop();

    // every orphaned dialog was forgotten once its BYE was answered
    expect(await eventually(journalRows, (r) => r.length === 0, "the journal emptied")).toEqual([]);

    // new calls: one comes back as the same user and stays until a kick; one hangs up itself and leaves no row
    await two.api.must(Q.unlock, { id: conf.id });
    const back = sipp(sipPort, join(scenarios, "kicked.xml"), { service: conf.dialInCode, timeoutS: 60 });
    const kicked = sipUsers.find((u: any) => u.entity.startsWith("sip:kicked"));
    await eventually(() => two.api.must(Q.conference, { id: conf.id }).then((d) => d.conference.users.find((u: any) => u.id === kicked.id)),
      (u) => u.joinState === "CONNECTED" && u.via === "sip", "the caller back in");
    expect(await eventually(journalRows, (r) => r.length === 1, "the new call's row")).toMatchObject([{ userId: kicked.id }]);
    expectSippOk(await sipp(sipPort, join(scenarios, "call.xml"), { service: conf.dialInCode }));
    await two.api.must(Q.kick, { id: kicked.id });
    expectSippOk(await back);
    expect(await eventually(journalRows, (r) => r.length === 0, "no rows once the calls ended")).toEqual([]);
    const final = (await two.api.must(Q.events, { id: conf.id, after: 0 })).events;
    expect(final.map((e: any) => e.seq)).toEqual(range(1, final.length));
  }, 180_000);
});

describe("the domain's leaveAllVia (what the recovery runs before the SIP face listens)", () => {
  test("only this island's present users of that transport leave, once each, with USER_LEFT", async () => {
    const t = await startTestFocus();
    try {
      const { domain, db: focusDb } = t.focus;
      const system = { kind: "system" as const, id: "test" };
      const { createConference: c } = await t.admin.must(Q.create, { input: { subject: "Ghosts", joinHandling: "LOBBY" } });
      const connected = await domain.roster.join(system, c.id, { entity: "sip:connected@ghost.test", via: "sip" });
      await domain.roster.admit(system, connected.id);
      const lobby = await domain.roster.join(system, c.id, { entity: "sip:lobby@ghost.test", via: "sip" });
      const gone = await domain.roster.join(system, c.id, { entity: "sip:gone@ghost.test", via: "sip" });
      await domain.roster.leave(system, gone.id);
      const api = await domain.roster.join(system, c.id, { entity: "api:someone@ghost.test", via: "api" });
      // a SIP user who joined through another island's focus (a replica's user): that focus' business
      const remote = await domain.roster.join(system, c.id, { entity: "sip:remote@ghost.test", via: "sip" });
      await focusDb.conferenceUser.update({ where: { id: remote.id }, data: { island: "island-b.test" } });
      const version = (await t.admin.must(Q.conference, { id: c.id })).conference.version;

      const left = await domain.roster.leaveAllVia(system, "sip");
      expect(left.map((u) => u.id).sort()).toEqual([connected.id, lobby.id].sort());
      expect(left.every((u) => u.joinState === "DISCONNECTED" && u.via === null)).toBe(true);
      const users = (await t.admin.must(Q.conference, { id: c.id })).conference.users;
      const state = (id: string) => users.find((u: any) => u.id === id).joinState;
      expect([state(api.id), state(remote.id), state(gone.id)]).toEqual(["LOBBY", "LOBBY", "DISCONNECTED"]);
      const events = (await t.admin.must(Q.events, { id: c.id, after: version })).events;
      expect(events.map((e: any) => [e.seq, e.type, e.payload.user.id])).toEqual([
        [version + 1, "USER_LEFT", connected.id], [version + 2, "USER_LEFT", lobby.id],
      ]);
      expect(await domain.roster.leaveAllVia(system, "sip")).toEqual([]); // nothing twice
    } finally {
      await t.close();
    }
  });
});
