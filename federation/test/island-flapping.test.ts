// Peers: Prosody (Debian prosody 0.12): two islands federated over s2s on loopback, each island's focus (in
// this process) its XEP-0114 component. Island B's Prosody is killed and restarted again and again.
/**
 * A peer island flapping: B's Prosody crashes (SIGKILL) and comes back seven times at short random intervals
 * while both islands keep writing events of a linked conference. Each crash takes B's component link and
 * the s2s link with it, and stanzas in flight are bounced or lost. Once it settles, each island holds the
 * other's events exactly as written (none lost, none twice, in order), both outboxes have drained, the
 * component link retried with backoff (a bounded number of attempts, no storm), the federation status said
 * offline while it was down and online after, and neither focus fell over.
 */
import { collect, startTestFocus, wsClient, ADMIN_TOKEN, type TestFocus } from "../../api/test/support/focus.ts";
import { startIslands, type Island, type Islands } from "./support/prosody.ts";
import { until } from "./support/until.ts";

const SECRET = "island a and island b share this for flapping";
const FLAPS = 7;

let islands: Islands;
let ia: Island;
let ib: Island;
let a: TestFocus;
let b: TestFocus;

function federationEnv(me: Island, peer: Island): Record<string, string> {
  return {
    ISLAND: me.domain, SIP_ENABLED: "false", XMPP_SERVICE: me.componentService, XMPP_COMPONENT_JID: me.componentJid, XMPP_COMPONENT_SECRET: me.secret,
    FEDERATION_PEERS: JSON.stringify([{ island: peer.domain, component: peer.componentJid, secret: SECRET }]),
  };
}

beforeAll(async () => {
  islands = await startIslands(["island-a.test", "island-b.test"]);
  [ia, ib] = islands.islands as [Island, Island];
  [a, b] = await Promise.all([startTestFocus({ env: federationEnv(ia, ib) }), startTestFocus({ env: federationEnv(ib, ia) })]);
  await until("both components online", () => a.focus.federation!.link.isOnline && b.focus.federation!.link.isOnline);
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await islands?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (min: number, max: number) => min + Math.floor(Math.random() * (max - min));

/** One origin's events as an island holds them: what must match across islands, field by field. */
async function log(focus: TestFocus, conferenceId: string, origin: string) {
  const rows = await focus.focus.db.event.findMany({ where: { conferenceId, origin }, orderBy: { seq: "asc" } });
  return rows.map((r) => ({ seq: r.seq, type: r.type, payload: r.payload }));
}

const FEDERATION = `{ federation { online peers { island unacknowledged } } }`;
const EVENT_SUB = `subscription($id: ID!) { conferenceEvents(conferenceId: $id) { kind event { origin seq type } } }`;
interface Item { kind: string; event: { origin: string; seq: number; type: string } | null }

test(`B's Prosody crashes and returns ${FLAPS} times while both islands write events: once settled, both hold the same events, in order, once each`, async () => {
  // a conference homed on A, linked into B, with a user of each island to act on
  const { createConference } = await a.admin.must(`mutation { createConference(input: { subject: "Flapping" }) { id } }`);
  const id = createConference.id as string;
  await a.admin.must(`mutation($id: ID!) { linkConference(id: $id, island: "island-b.test") { islands } }`, { id });
  await until("the replica on B", async () => (await b.focus.domain.federation.islandsOf(id)).includes("island-b.test"));
  const { joinConference: onA } = await a.admin.must(`mutation($id: ID!) { joinConference(conferenceId: $id, entity: "sip:alice@island-a.test") { id } }`, { id });
  const { joinConference: onB } = await b.admin.must(`mutation($id: ID!) { joinConference(conferenceId: $id, entity: "sip:bob@island-b.test") { id } }`, { id });
  await until("B's user known on A", async () => (await a.focus.db.conferenceUser.count({ where: { id: onB.id } })) === 1);

  const subB = collect<Item>(wsClient(b.url, ADMIN_TOKEN), EVENT_SUB, { id }, (d) => d.conferenceEvents);
  const linkB = b.focus.federation!.link;
  let onlines = 0;
  let offlines = 0;
  linkB.on("online", () => onlines++);
  linkB.on("offline", () => offlines++);
  const attemptsBefore = linkB.connectAttempts;
  const flapStart = Date.now();

  try {
    await subB.until((items) => items.some((i) => i.kind === "FULL_STATE"));
    // Both islands write all along: A mutes its user (events of origin A), B its own (origin B).
    let writing = true;
    const writes = { a: 0, b: 0 };
    const system = { kind: "system" as const, id: "flapping" };
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await a.focus.domain.roster.setMuted(system, onA.id, i % 2 === 0);
        writes.a++;
        await b.focus.domain.roster.setMuted(system, onB.id, i % 2 === 0);
        writes.b++;
        await sleep(between(5, 25));
      }
    })();

    let sawOffline = false;
    for (let flap = 0; flap < FLAPS; flap++) {
      await sleep(between(300, 1500)); // up for a while (the link may or may not be back yet)
      await ib.kill();
      await sleep(between(100, 800)); // down
      if (!sawOffline) {
        // what B's status says while its XMPP server is gone (the link notices the socket closing)
        await until("B's federation status offline", async () => !(await b.admin.must(FEDERATION)).federation.online, 10_000);
        sawOffline = true;
      }
      await ib.start();
    }
    writing = false;
    await writer;
    const flapMs = Date.now() - flapStart;

    // settled: B's link is back, and each side catches up with the other
    await until("B's component online again", () => linkB.isOnline, 15_000);
    expect((await b.admin.must(FEDERATION)).federation.online).toBe(true);
    const lastA = (await a.focus.db.conference.findUniqueOrThrow({ where: { id } })).eventSeq;
    const lastB = (await b.focus.db.event.aggregate({ where: { conferenceId: id, origin: "island-b.test" }, _max: { seq: true } }))._max.seq!;
    await until("B applied all of A's events", async () => (await b.focus.domain.federation.lastApplied(id, "island-a.test")) === lastA, 60_000);
    await until("A applied all of B's events", async () => (await a.focus.domain.federation.lastApplied(id, "island-b.test")) === lastB, 60_000);
    await until("A's outbox drained", async () => (await a.focus.domain.federation.ackedSeq(id, "island-b.test")) === lastA, 30_000);
    await until("B's outbox drained", async () => (await b.focus.domain.federation.ackedSeq(id, "island-a.test")) === lastB, 30_000);
    await until("the status shows nothing unacknowledged", async () => {
      const [sa, sb] = await Promise.all([a.admin.must(FEDERATION), b.admin.must(FEDERATION)]);
      return [...sa.federation.peers, ...sb.federation.peers].every((p: { unacknowledged: number }) => p.unacknowledged === 0);
    }, 30_000);

    // the same events on both islands, each origin's contiguous from 1: none lost, none twice, none reordered
    const [aOnA, aOnB, bOnB, bOnA] = await Promise.all([log(a, id, "island-a.test"), log(b, id, "island-a.test"), log(b, id, "island-b.test"), log(a, id, "island-b.test")]);
    expect(aOnA.map((e) => e.seq)).toEqual(aOnA.map((_, i) => i + 1));
    expect(bOnB.map((e) => e.seq)).toEqual(bOnB.map((_, i) => i + 1));
    expect(aOnB).toEqual(aOnA);
    expect(bOnA).toEqual(bOnB);
    expect(aOnA.filter((e) => e.type === "USER_MUTED" || e.type === "USER_UNMUTED").length).toBe(writes.a);
    expect(bOnB.filter((e) => e.type === "USER_MUTED" || e.type === "USER_UNMUTED").length).toBe(writes.b);
    // and the replicas agree on the state the events made
    const users = async (t: TestFocus) => (await t.admin.must(`query($id: ID!) { users(conferenceId: $id) { id muted } }`, { id })).users.sort((x: { id: string }, y: { id: string }) => x.id.localeCompare(y.id));
    expect(await users(b)).toEqual(await users(a));

    // a subscriber on B saw A's events once each, in order
    const heard = await subB.until((items) => items.some((i) => i.event?.origin === "island-a.test" && i.event.seq === lastA), 30_000);
    const seqs = heard.filter((i) => i.event?.origin === "island-a.test").map((i) => i.event!.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));

    // the link went down and up with the flaps, and retried with backoff: with a pause of at least half a
    // second between attempts there are at most two a second (plus the one each crash starts), never a storm
    expect(offlines).toBeGreaterThanOrEqual(1);
    expect(onlines).toBeGreaterThanOrEqual(1);
    const attempts = linkB.connectAttempts - attemptsBefore;
    console.log(`island-flapping: ${FLAPS} crashes in ${flapMs} ms; B's link: ${attempts} attempts, ${offlines} offline, ${onlines} online; events A ${lastA}, B ${lastB}`);
    expect(attempts).toBeGreaterThanOrEqual(onlines);
    expect(attempts).toBeLessThanOrEqual(FLAPS + Math.ceil((Date.now() - flapStart) / 500));

    // both foci still serve
    expect((await fetch(`${a.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${b.url}/healthz`)).status).toBe(200);
  } finally {
    subB.stop();
    if (!ib.running) await ib.start();
  }
}, 180_000);

test("while B's Prosody stays down, B's link backs off: the pauses between attempts grow instead of a retry a second", async () => {
  const linkB = b.focus.federation!.link;
  await until("B's component online", () => linkB.isOnline, 15_000);
  const before = linkB.connectAttempts;
  await ib.kill();
  try {
    await until("B's link offline", () => !linkB.isOnline, 10_000);
    await sleep(8000);
    // Pauses of at least 0.5, 1, 2, 2, 2 s (half of 1, 2, 4, 4, 4 s, the jitter's floor) allow five attempts
    // in 8 s at most; a load that slows anything down only makes fewer. A fixed 1 s pause would make eight.
    const attempts = linkB.connectAttempts - before;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(5);
  } finally {
    await ib.start();
  }
  // and it comes back by itself once Prosody does, within the longest pause
  await until("B's component online again", () => linkB.isOnline, 15_000);
}, 60_000);
