// Peers: Prosody (Debian prosody 0.12): three islands federated over s2s on loopback, each island's focus
// its XEP-0114 component. Islands A and B run their foci in this process; island C's focus is a real
// process, killed with SIGKILL and restarted.
import { join } from "node:path";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { collect, spawnFocus, startTestFocus, wsClient, ADMIN_TOKEN, HttpClient, type SpawnedFocus, type TestFocus } from "../../api/test/support/focus.ts";
import { startIslands, type Island, type Islands } from "./support/prosody.ts";
import { ComponentLink, encodeWire, signEvent, xml, type Element, type XmlBuilder } from "../src/index.ts";
import { until } from "./support/until.ts";

const SECRET = { ab: "island a and island b share this", ac: "island a and island c share that" };

let islands: Islands;
let ia: Island;
let ib: Island;
let ic: Island;
let a: TestFocus;
let b: TestFocus;

function federationEnv(me: Island, peers: { island: Island; secret: string }[]): Record<string, string> {
  return {
    ISLAND: me.domain, SIP_ENABLED: "false", XMPP_SERVICE: me.componentService, XMPP_COMPONENT_JID: me.componentJid, XMPP_COMPONENT_SECRET: me.secret,
    FEDERATION_PEERS: JSON.stringify(peers.map((p) => ({ island: p.island.domain, component: p.island.componentJid, secret: p.secret }))),
  };
}


beforeAll(async () => {
  islands = await startIslands(["island-a.test", "island-b.test", "island-c.test"]);
  [ia, ib, ic] = islands.islands as [Island, Island, Island];
  [a, b] = await Promise.all([
    startTestFocus({ env: federationEnv(ia, [{ island: ib, secret: SECRET.ab }, { island: ic, secret: SECRET.ac }]) }),
    startTestFocus({ env: federationEnv(ib, [{ island: ia, secret: SECRET.ab }]) }),
  ]);
  await until("both components online", () => a.focus.federation!.link.isOnline && b.focus.federation!.link.isOnline);
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await islands?.stop();
});

test("discovery: A lists B's conferences with XEP-0030 disco#items; an island that is not a peer is refused", async () => {
  const { createConference } = await b.admin.must(`mutation { createConference(input: { subject: "Offered by B" }) { id } }`);
  const { peerConferences } = await a.admin.must(`{ peerConferences(island: "island-b.test") { island id subject } }`);
  expect(peerConferences).toEqual(expect.arrayContaining([{ island: "island-b.test", id: createConference.id, subject: "Offered by B" }]));
  // only conferences homed on B: not the replicas B holds of A's conferences
  expect(peerConferences.every((c: { island: string }) => c.island === "island-b.test")).toBe(true);
  expect(await a.admin.errorCode(`{ peerConferences(island: "island-x.test") { id } }`)).toBe("BAD_USER_INPUT");
  // C's focus is not running: asking it fails cleanly
  expect(await a.admin.errorCode(`{ peerConferences(island: "island-c.test") { id } }`)).toBe("CONFLICT");
}, 30_000);

async function linkedConference(home: TestFocus, to: TestFocus, island: Island, subject: string): Promise<string> {
  const { createConference } = await home.admin.must(`mutation($s: String!) { createConference(input: { subject: $s }) { id } }`, { s: subject });
  await home.admin.must(`mutation($id: ID!, $i: String!) { linkConference(id: $id, island: $i) { islands } }`, { id: createConference.id, i: island.domain });
  // the replica exists with the conference's first event; the link itself is a later one
  await until(`the replica on ${island.domain}`, async () => (await to.focus.domain.federation.islandsOf(createConference.id)).includes(island.domain));
  return createConference.id;
}

const EVENT_SUB = `subscription($id: ID!) { conferenceEvents(conferenceId: $id) { kind event { origin seq type payload } } }`;
interface Item { kind: string; event: { origin: string; seq: number; type: string; payload: any } | null }

test("a GraphQL subscriber on B sees, in order and complete, the joins, mutes and floor changes made on A, and A sees B's", async () => {
  const id = await linkedConference(a, b, ib, "Across islands");
  const subB = collect<Item>(wsClient(b.url, ADMIN_TOKEN), EVENT_SUB, { id }, (d) => d.conferenceEvents);
  const subA = collect<Item>(wsClient(a.url, ADMIN_TOKEN), EVENT_SUB, { id }, (d) => d.conferenceEvents);
  try {
    await subB.until((items) => items.some((i) => i.kind === "FULL_STATE"));
    const { joinConference: alice } = await a.admin.must(`mutation($id: ID!) { joinConference(conferenceId: $id, entity: "sip:alice@island-a.test") { id } }`, { id });
    await a.admin.must(`mutation($id: ID!) { muteUser(id: $id) { muted } }`, { id: alice.id });
    const { conference } = await a.admin.must(`query($id: ID!) { conference(id: $id) { floors { id } } }`, { id });
    const { requestFloor } = await a.admin.must(`mutation($f: ID!, $u: ID) { requestFloor(floorId: $f, userId: $u) { id } }`, { f: conference.floors[0].id, u: alice.id });
    await a.admin.must(`mutation($r: ID!) { grantFloor(requestId: $r) { status } }`, { r: requestFloor.id });
    const { joinConference: bob } = await b.admin.must(`mutation($id: ID!) { joinConference(conferenceId: $id, entity: "sip:bob@island-b.test") { id island } }`, { id });

    const fromA = (items: Item[]) => items.filter((i) => i.event?.origin === "island-a.test").map((i) => i.event!);
    const onB = await subB.until((items) => fromA(items).some((e) => e.type === "FLOOR_REQUEST_CHANGED" && e.payload.request.status === "GRANTED"));
    const seqs = fromA(onB).map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i)); // in order, no gap, no duplicate
    expect(fromA(onB).map((e) => e.type)).toEqual(["USER_ADDED", "USER_JOINED", "USER_MUTED", "FLOOR_REQUEST_CHANGED", "FLOOR_REQUEST_CHANGED"]);

    const onA = await subA.until((items) => items.some((i) => i.event?.origin === "island-b.test" && i.event.type === "USER_JOINED"));
    expect(onA.filter((i) => i.event?.origin === "island-b.test").map((i) => i.event!.type)).toEqual(["USER_ADDED", "USER_JOINED"]);
    const { users } = await a.admin.must(`query($id: ID!) { users(conferenceId: $id) { id island joinState muted } }`, { id });
    expect(users).toEqual(expect.arrayContaining([
      { id: bob.id, island: "island-b.test", joinState: "CONNECTED", muted: false },
      { id: alice.id, island: "island-a.test", joinState: "CONNECTED", muted: true },
    ]));
    // a moderator on B locks the conference: B forwards it to A, the home island, which writes it
    const { lockConference } = await b.admin.must(`mutation($id: ID!) { lockConference(id: $id) { locked } }`, { id });
    expect(lockConference.locked).toBe(true);
    expect((await a.focus.db.event.findFirst({ where: { conferenceId: id, type: "CONFERENCE_LOCKED" } }))?.origin).toBe("island-a.test");
    await subB.until((items) => items.some((i) => i.event?.type === "CONFERENCE_LOCKED"));
    const { federation } = await a.admin.must(`{ federation { island enabled online peers { island unacknowledged } } }`);
    expect(federation).toMatchObject({ island: "island-a.test", enabled: true, online: true });
  } finally {
    subA.stop();
    subB.stop();
  }
}, 60_000);

test("B's Prosody stops during a burst of 1,000 events on A; once it is back, B has all 1,000 in order and none twice", async () => {
  const id = await linkedConference(a, b, ib, "Burst");
  const { joinConference: u } = await a.admin.must(`mutation($id: ID!) { joinConference(conferenceId: $id, entity: "sip:burst@island-a.test") { id } }`, { id });
  const first = (await a.focus.db.conference.findUniqueOrThrow({ where: { id } })).eventSeq;
  const sub = collect<Item>(wsClient(b.url, ADMIN_TOKEN), EVENT_SUB, { id }, (d) => d.conferenceEvents);
  try {
    await sub.until((items) => items.some((i) => i.kind === "FULL_STATE"));
    const system = { kind: "system" as const, id: "burst" };
    for (let i = 0; i < 1000; i++) {
      if (i === 200) await ib.stop(); // B's XMPP server goes away mid-burst
      await a.focus.domain.roster.setMuted(system, u.id, i % 2 === 0);
    }
    const last = first + 1000;
    await new Promise((r) => setTimeout(r, 1000));
    await ib.start();
    await until("B to catch up", async () => (await b.focus.domain.federation.lastApplied(id, "island-a.test")) === last, 60_000);
    const seqs = (await b.focus.db.event.findMany({ where: { conferenceId: id, origin: "island-a.test" }, orderBy: { seq: "asc" } })).map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    const heard = await sub.until((items) => items.filter((i) => i.event?.origin === "island-a.test" && i.event.seq > first).length >= 1000, 30_000);
    const burst = heard.filter((i) => i.event?.origin === "island-a.test" && i.event.seq > first).map((i) => i.event!.seq);
    expect(burst).toEqual(Array.from({ length: 1000 }, (_, i) => first + 1 + i)); // the subscriber too: in order, once each
    await until("A's outbox drained", async () => (await a.focus.domain.federation.ackedSeq(id, "island-b.test")) === last, 30_000);
  } finally {
    sub.stop();
    if (!ib.running) await ib.start();
  }
  await until("B's component back online", () => b.focus.federation!.link.isOnline);
}, 120_000);

test("C's focus is killed (SIGKILL) during a burst of 1,000 events and restarted: it catches up; while it is down, forged and malformed stanzas in its name change nothing", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dcon-island-c-"));
  const env = { ...federationEnv(ic, [{ island: ia, secret: SECRET.ac }]), DATABASE_URL: `file:${join(dir, "c.db")}` };
  let c: SpawnedFocus = await spawnFocus(env);
  const cAdmin = () => new HttpClient(c.url, ADMIN_TOKEN);
  try {
    await until("C online", async () => (await cAdmin().must(`{ federation { online } }`)).federation.online);
    const { createConference } = await a.admin.must(`mutation { createConference(input: { subject: "Crash" }) { id } }`);
    const id = createConference.id;
    await a.admin.must(`mutation($id: ID!) { linkConference(id: $id, island: "island-c.test") { islands } }`, { id });
    const { joinConference: u } = await a.admin.must(`mutation($id: ID!) { joinConference(conferenceId: $id, entity: "sip:crash@island-a.test") { id } }`, { id });
    const system = { kind: "system" as const, id: "crash" };
    for (let i = 0; i < 1000; i++) {
      if (i === 200) {
        c.child.kill("SIGKILL");
        await c.exited;
      }
      await a.focus.domain.roster.setMuted(system, u.id, i % 2 === 0);
    }

    // While C's focus is down, someone else connects as its component and sends A bad stanzas.
    const refusedBefore = a.focus.federation!.service.refused;
    const last = (await a.focus.db.conference.findUniqueOrThrow({ where: { id } })).eventSeq;
    const impostor = new ComponentLink({ service: ic.componentService, componentJid: ic.componentJid, secret: ic.secret });
    await impostor.start({ timeoutMs: 15_000 });
    const build = xml as XmlBuilder<Element>;
    const body = JSON.stringify({ type: "CONFERENCE_LOCKED", at: new Date().toISOString(), actor: null, payload: { conference: { id } } });
    await impostor.sendTo(ia.componentJid, encodeWire({ kind: "event", origin: "island-c.test", conference: id, seq: 1, body, sig: signEvent("a guessed secret", "island-c.test", id, 1, body) }, build));
    await impostor.sendTo(ia.componentJid, encodeWire({ kind: "event", origin: "island-b.test", conference: id, seq: 1, body, sig: signEvent(SECRET.ac, "island-b.test", id, 1, body) }, build));
    await impostor.sendTo(ia.componentJid, build("event", { xmlns: "urn:xmpp:dcon:federation:1", origin: "island-c.test", conference: id, seq: "one" }, "{"));
    await impostor.sendTo(ia.componentJid, build("event", { xmlns: "urn:xmpp:dcon:federation:1", origin: "island-c.test", conference: id, seq: "1", sig: signEvent(SECRET.ac, "island-c.test", id, 1, "{not json") }, "{not json"));
    await until("A refused the four", () => a.focus.federation!.service.refused - refusedBefore >= 4);
    await impostor.close();
    const after = await a.focus.db.event.count({ where: { conferenceId: id, origin: "island-c.test" } });
    expect(after).toBe(0);
    expect((await a.focus.db.conference.findUniqueOrThrow({ where: { id } })).locked).toBe(false);
    expect((await a.focus.db.conference.findUniqueOrThrow({ where: { id } })).eventSeq).toBe(last);

    c = await spawnFocus(env); // the same database: it resumes where it was
    // A's cursor for C moves only on C's acknowledgements, which C sends once it has applied the events.
    await until("C to catch up", async () => (await a.focus.domain.federation.ackedSeq(id, "island-c.test")) === last, 60_000);
    const rows = await cAdmin().must(`query($id: ID!) { users(conferenceId: $id) { id muted } }`, { id });
    const muted = (await a.focus.domain.roster.get(u.id)).muted;
    expect(rows.users).toEqual([{ id: u.id, muted }]);
  } finally {
    c.child.kill("SIGTERM");
    await c.exited;
  }
}, 120_000);
