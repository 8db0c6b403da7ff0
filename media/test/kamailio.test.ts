// Peers: Kamailio (front proxy, record-route/loose-route) and sipp
//
// The focus behind a record-routing proxy (RFC 3261 sections 12.1.1, 12.2.1.1 and 16.12): sipp talks only to
// Kamailio, which record-routes INVITE and SUBSCRIBE and loose-routes everything in a dialog. Kamailio logs
// one "ROUTE <initial|loose|no-route> METHOD proto:source -> target" line per request (and "ROUTE reply ..." per
// response); "loose" means the request carried Kamailio's Route header, so a request from the focus logged as
// "loose" followed the route set. DEBUG_KAMAILIO=1 prints Kamailio's whole log at the end.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startTestFocus, type TestFocus } from "../../api/test/support/focus.ts";
import { startKamailio, type KamailioProxy } from "./support/kamailio.ts";
import { expectSippOk as expectOk, fillScenario, sipp as runSipp, sippWork, type SippOptions } from "./support/sipp.ts";

let t: TestFocus;
let proxy: KamailioProxy;
let focusPort: number;
beforeAll(async () => {
  t = await startTestFocus();
  focusPort = t.focus.sip!.port;
  // one worker per transport: messages from the focus reach sipp in the order the focus sent them
  // (the 200 to SUBSCRIBE before the first NOTIFY), as they would on a direct path
  proxy = await startKamailio(focusPort, { children: 1 });
}, 30_000);
afterAll(async () => {
  if (process.env.DEBUG_KAMAILIO) process.stdout.write(proxy?.output() ?? "");
  await proxy?.stop();
  await t?.close();
});

/** sipp against the proxy, with every message it sent and received written to a file. */
async function viaProxy(scenario: string, opts: SippOptions & { messages?: string } = {}) {
  const extra = [...(opts.extra ?? []), ...(opts.messages ? ["-trace_msg", "-message_file", opts.messages] : [])];
  return runSipp(proxy.port, scenario, { ...opts, extra });
}

const esc = (s: string) => s.replace(/[.]/g, "\\.");
/** the proxy's Record-Route for a UDP caller: exactly one entry, loose-routing (lr) */
const udpRecordRoute = () => `^[^,]*sip:${esc(`127.0.0.1:${proxy.port}`)};lr=on[^,]*$`;
/** a TCP caller relayed to the focus over UDP: double record-routing, the first entry the focus' (UDP) side */
const tcpRecordRoute = () => `^[^,]*sip:${esc(`127.0.0.1:${proxy.port}`)};r2=on;lr=on`;
/** the top Via of a request that came through the proxy */
const proxyVia = () => `SIP/2\\.0/(UDP|TCP) ${esc(`127.0.0.1:${proxy.port}`)};branch=`;

async function conference(input: Record<string, unknown> = {}): Promise<{ id: string; dialInCode: string }> {
  const { createConference } = await t.admin.must(`mutation($input: ConferenceInput!) { createConference(input: $input) { id dialInCode } }`, { input: { subject: "Proxied", ...input } });
  return createConference;
}

async function eventTypes(conferenceId: string): Promise<string[]> {
  const { events } = await t.admin.must(`query($id: ID!) { events(conferenceId: $id, limit: 1000) { type } }`, { id: conferenceId });
  return events.map((e: { type: string }) => e.type);
}

/** The conference's event types once `last` is among them (a BYE is answered before the roster is updated). */
async function eventTypesUntil(conferenceId: string, last: string): Promise<string[]> {
  for (let i = 0; i < 100; i++) {
    const types = await eventTypes(conferenceId);
    if (types.includes(last)) return types;
    await new Promise((r) => setTimeout(r, 50));
  }
  return eventTypes(conferenceId);
}

/** The proxy's routing lines logged since `mark`, once every pattern has matched one (stderr arrives late). */
async function routesSince(mark: number, expected: RegExp[]): Promise<string[]> {
  let lines: string[] = [];
  for (let i = 0; i < 60; i++) {
    lines = proxy.routes().slice(mark);
    if (expected.every((re) => lines.some((l) => re.test(l)))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return lines;
}

interface Traced {
  direction: "sent" | "received";
  /** request or status line */
  line: string;
  /** header lines, unfolded as sipp wrote them */
  headers: string[];
}

/** The messages sipp sent and received, from its -trace_msg file. */
function traced(file: string): Traced[] {
  const out: Traced[] = [];
  for (const block of readFileSync(file, "utf8").split(/^-{10,} .*$/m)) {
    const m = /^\s*(?:UDP|TCP) message (sent|received)[^\n]*\n\s*\n([\s\S]*?)(?:\r?\n\r?\n|\n\s*\n|$)/.exec(block);
    if (!m) continue;
    const [line, ...headers] = m[2]!.split(/\r?\n/).map((l) => l.trim());
    out.push({ direction: m[1] as Traced["direction"], line: line!, headers });
  }
  return out;
}

const headerValues = (msg: Traced, name: string) =>
  msg.headers.filter((h) => h.toLowerCase().startsWith(`${name.toLowerCase()}:`)).flatMap((h) => h.slice(name.length + 1).split(/,\s*(?=<)/).map((v) => v.trim()));

let seq = 0;
const messagesFile = (name: string) => join(sippWork, `proxied-${name}-${process.pid}-${++seq}.log`);

async function callThroughProxy(transport: "u1" | "t1"): Promise<void> {
  const c = await conference();
  const mark = proxy.routes().length;
  const messages = messagesFile(`call-${transport}`);
  const scenario = fillScenario("proxied-call.xml", {
    RECORD_ROUTE: transport === "u1" ? udpRecordRoute() : tcpRecordRoute(),
    FOCUS_CONTACT: `sip:focus@${esc(`127.0.0.1:${focusPort}`)}[>;]`,
  });
  expectOk(await viaProxy(scenario, { service: c.dialInCode, transport, messages }));

  // the 200 carried the proxy's Record-Route, as the proxy put it in the INVITE (RFC 3261 section 12.1.1):
  // one entry for a UDP caller, two (the focus' side first) when the caller came over TCP
  const trace = traced(messages);
  const ok = trace.find((m) => m.direction === "received" && m.line.startsWith("SIP/2.0 200") && m.headers.some((h) => /^CSeq: 1 INVITE/.test(h)))!;
  expect(ok).toBeDefined();
  const recordRoute = headerValues(ok, "Record-Route");
  const me = `sip:127.0.0.1:${proxy.port}`;
  if (transport === "u1") expect(recordRoute).toEqual([expect.stringMatching(new RegExp(`^<${esc(me)};lr=on;ftag=[^>]+>$`))]);
  else {
    expect(recordRoute).toEqual([
      expect.stringMatching(new RegExp(`^<${esc(me)};r2=on;lr=on;ftag=[^>]+>$`)),
      expect.stringMatching(new RegExp(`^<${esc(me)};transport=tcp;r2=on;lr=on;ftag=[^>]+>$`)),
    ]);
  }
  // the 200 to the re-INVITE mirrors that request, which the proxy did not record-route: no Record-Route
  const reOk = trace.find((m) => m.direction === "received" && m.line.startsWith("SIP/2.0 200") && m.headers.some((h) => /^CSeq: 2 INVITE/.test(h)))!;
  expect(reOk).toBeDefined();
  expect(headerValues(reOk, "Record-Route")).toEqual([]);
  // sipp sent every in-dialog request to the focus' Contact with the route set, reversed, as Route (section 12.2.1.1)
  const sent = trace.filter((m) => m.direction === "sent");
  expect(sent.map((r) => r.line.split(" ")[0])).toEqual(["INVITE", "ACK", "INVITE", "ACK", "OPTIONS", "BYE"]);
  expect(headerValues(sent[0]!, "Route")).toEqual([]);
  for (const r of sent.slice(1)) {
    expect(r.line).toBe(`${r.line.split(" ")[0]} sip:focus@127.0.0.1:${focusPort} SIP/2.0`);
    expect(headerValues(r, "Route")).toEqual([...recordRoute].reverse());
  }

  // ... and the proxy loose-routed each of them to the focus
  const proto = transport === "u1" ? "udp" : "tcp";
  const focusTarget = `sip:focus@127.0.0.1:${focusPort}`;
  const expected = [
    new RegExp(`^initial INVITE ${proto}:127\\.0\\.0\\.1:\\d+ -> sip:127\\.0\\.0\\.1:${focusPort}$`),
    ...["ACK", "INVITE", "OPTIONS", "BYE"].map((m) => new RegExp(`^loose ${m} ${proto}:127\\.0\\.0\\.1:\\d+ -> ${esc(focusTarget)}$`)),
  ];
  const routes = await routesSince(mark, expected);
  for (const re of expected) expect(routes).toEqual(expect.arrayContaining([expect.stringMatching(re)]));
  expect(routes.filter((l) => l.startsWith("no-route"))).toEqual([]);

  // the roster: the caller joined, then left with the BYE
  const types = await eventTypesUntil(c.id, "USER_LEFT");
  expect(types).toEqual(expect.arrayContaining(["USER_ADDED", "USER_JOINED", "USER_LEFT"]));
  expect(types.indexOf("USER_JOINED")).toBeLessThan(types.indexOf("USER_LEFT"));
  const { users } = await t.admin.must(`query($id: ID!) { users(conferenceId: $id) { entity joinState via } }`, { id: c.id });
  expect(users).toEqual([expect.objectContaining({ entity: "sip:sipp-1@127.0.0.1", joinState: "DISCONNECTED", via: null })]);
  expect(t.focus.sip!.service.callCount).toBe(0);
}

async function kickThroughProxy(transport: "u1" | "t1"): Promise<void> {
  const c = await conference();
  const mark = proxy.routes().length;
  const scenario = fillScenario("proxied-kicked.xml", {
    RECORD_ROUTE: transport === "u1" ? udpRecordRoute() : tcpRecordRoute(),
    PROXY_VIA: proxyVia(),
  });
  const run = viaProxy(scenario, { service: c.dialInCode, transport });
  // The moderator kicks as soon as the caller is connected, possibly before its ACK: the focus holds its BYE
  // until the ACK has come (RFC 3261 section 15), so the BYE cannot overtake the 2xx at the caller.
  let userId: string | undefined;
  for (let i = 0; i < 100 && !userId; i++) {
    const { users } = await t.admin.must(`query($id: ID!) { users(conferenceId: $id) { id joinState via } }`, { id: c.id });
    userId = users.find((u: { joinState: string; via: string }) => u.joinState === "CONNECTED" && u.via === "sip")?.id;
    if (!userId) await new Promise((r) => setTimeout(r, 100));
  }
  expect(userId).toBeDefined();
  await t.admin.must(`mutation($id: ID!) { kickUser(id: $id) { joinState } }`, { id: userId });
  expectOk(await run);
  // the focus sent its BYE to the proxy with the Route header (loose routing), and the proxy relayed it to the caller's Contact
  const bye = new RegExp(`^loose BYE udp:127\\.0\\.0\\.1:${focusPort} -> sip:sipp@127\\.0\\.0\\.1:\\d+;transport=${transport === "u1" ? "UDP" : "TCP"}$`);
  const routes = await routesSince(mark, [bye]);
  expect(routes).toEqual(expect.arrayContaining([expect.stringMatching(bye)]));
  expect(routes.filter((l) => l.startsWith("no-route"))).toEqual([]);
  expect(await eventTypesUntil(c.id, "USER_KICKED")).toContain("USER_KICKED");
  // the focus had the 200 to its BYE back through the proxy: the call is gone
  for (let i = 0; i < 50 && t.focus.sip!.service.callCount > 0; i++) await new Promise((r) => setTimeout(r, 50));
  if (t.focus.sip!.service.callCount !== 0) throw new Error(`the call is still up after the kick; proxy routing:\n${proxy.routes().slice(mark).join("\n")}`);
}

test("a caller reaches the conference through the proxy over UDP: the 200 carries the Record-Route, in-dialog requests follow it, the roster follows", async () => {
  await callThroughProxy("u1");
});

test("a moderator's kick: the focus' BYE follows the route set through the proxy to the caller (UDP)", async () => {
  await kickThroughProxy("u1");
});

test("SUBSCRIBE Event: conference through the proxy: the NOTIFYs follow the route set", async () => {
  const c = await conference({ subject: "Proxied watch" });
  const service = t.focus.sip!.service;
  const before = service.subscriptionCount;
  const mark = proxy.routes().length;
  const scenario = fillScenario("proxied-subscribe.xml", { SUBJECT: "Proxied watch", RECORD_ROUTE: udpRecordRoute(), PROXY_VIA: proxyVia() });
  const run = viaProxy(scenario, { service: c.dialInCode });
  for (let i = 0; i < 200 && service.subscriptionCount !== before + 1; i++) await new Promise((r) => setTimeout(r, 50));
  expect(service.subscriptionCount).toBe(before + 1);
  await t.admin.must(`mutation($id: ID!) { lockConference(id: $id) { locked } }`, { id: c.id });
  expectOk(await run);
  expect(service.subscriptionCount).toBe(before);
  const notify = new RegExp(`^loose NOTIFY udp:127\\.0\\.0\\.1:${focusPort} -> sip:watcher@127\\.0\\.0\\.1:\\d+$`);
  const expected = [
    new RegExp(`^initial SUBSCRIBE udp:127\\.0\\.0\\.1:\\d+ -> sip:127\\.0\\.0\\.1:${focusPort}$`),
    new RegExp(`^loose SUBSCRIBE udp:127\\.0\\.0\\.1:\\d+ -> sip:focus@127\\.0\\.0\\.1:${focusPort}$`),
    notify,
  ];
  const routes = await routesSince(mark, expected);
  for (const re of expected) expect(routes).toEqual(expect.arrayContaining([expect.stringMatching(re)]));
  expect(routes.filter((l) => notify.test(l))).toHaveLength(3);
  expect(routes.filter((l) => l.startsWith("no-route"))).toEqual([]);
});

test("the same call and kick with the caller on TCP (double record-routing: TCP to the proxy, UDP to the focus)", async () => {
  await callThroughProxy("t1");
  await kickThroughProxy("t1");
});
