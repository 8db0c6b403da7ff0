// Peer: sipp (Debian sip-tester) for the health checks after a barrage of random and mutated SIP from raw UDP and TCP sockets.
/**
 * Fuzzing the running focus through its real sockets (media/src/sip/parser-fuzz.test.ts covers the parser
 * alone): mutated INVITE/OPTIONS/BYE/SUBSCRIBE/ACK/CANCEL/... and plain junk as UDP datagrams, and TCP
 * streams cut anywhere, left unfinished, reset, or never framed. Inputs come from fast-check with a fixed
 * seed, so a failure replays. Afterwards the focus must still answer (sipp OPTIONS over UDP and TCP,
 * /healthz), hold no call or subscription, have answered nothing with 500, and the database must hold
 * only what the test made itself.
 *
 * Errors that escape: an uncaught exception or unhandled rejection fails the running test by itself (Jest
 * listens on the real process; a test's `process` is a copy whose listeners are never called, so a
 * process.on sentinel here would see nothing). The errors the focus catches and logs (a handler that threw,
 * a transport error) are the other half: this file's focus logs into the test, which allows only the
 * system errors of sockets the fuzzer closed.
 *
 * The junk goes out from 127.0.0.2 where the system allows: a mutated Via may send the focus' answers to
 * another port, and there nobody else listens.
 */
import { randomInt } from "node:crypto";
import { appendFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import fc from "fast-check";
import { loadConfig } from "../../api/src/config.ts";
import { createLogger } from "../../api/src/logger.ts";
import { startFocus } from "../../api/src/server.ts";
import { ADMIN_TOKEN, freshDatabaseUrl, HttpClient, type TestFocus } from "../../api/test/support/focus.ts";
import { applyMutation, mutation as sharedMutation, SIP_HEADER_EDITS, SIP_TOKENS, type Mutation, type MutationOptions } from "../../fuzz/support/index.ts";
import { RawUdpPeer, sipBytes } from "./support/raw-peer.ts";
import { expectSippOk, scenarios, sipp } from "./support/sipp.ts";

/**
 * For a deeper campaign: `npm run fuzz -- --only sip-transport --seconds 600` (FUZZ_SECONDS / 60 scales the
 * barrage), or FUZZ_SCALE=10 FUZZ_SEED=7 directly; the time limit grows with it.
 */
const SCALE = Math.max(1, Math.round(Number(process.env.FUZZ_SCALE ?? process.env.SIP_FUZZ_SCALE ?? Number(process.env.FUZZ_SECONDS ?? 0) / 60) || 1));
const SEED = Number(process.env.FUZZ_SEED ?? process.env.SIP_FUZZ_SEED ?? 20_260_425) || 20_260_425;
const UDP_DATAGRAMS = 2000 * SCALE;
const TCP_CONNECTIONS = 120 * SCALE;

/** what the focus logged at warn and above */
interface LogRecord {
  level: number;
  msg?: string;
  part?: string;
  err?: { type?: string; message?: string; code?: string; stack?: string };
}
const logged: LogRecord[] = [];

/**
 * What the focus logged but the system errors of connections the fuzzer dropped (a response for a TCP
 * connection that is gone: the reconnect is refused).
 */
const unexpectedLogs = () => logged.filter((r) => !(r.msg === "SIP transport error" && /^E[A-Z]+$/.test(r.err?.code ?? "")));

let t: TestFocus;
let conference: { id: string; dialInCode: string };
let eventsBefore: number;
beforeAll(async () => {
  // startTestFocus's focus, with a logger that writes here instead of stdout
  const databaseUrl = await freshDatabaseUrl();
  const config = loadConfig({
    PORT: "0", HOST: "127.0.0.1", DATABASE_URL: databaseUrl, ADMIN_TOKEN, ISLAND: "island-a.test",
    SCHEDULER_INTERVAL_MS: "200", SIP_PORT: "0", BFCP_PORT: "0", BFCP_TLS_PORT: "0",
  });
  const focus = await startFocus(config, createLogger("warn", { write: (line: string) => void logged.push(JSON.parse(line) as LogRecord) }));
  t = { focus, url: focus.url, databaseUrl, admin: new HttpClient(focus.url, ADMIN_TOKEN), close: () => focus.close() };
  const { createConference } = await t.admin.must(`mutation($input: ConferenceInput!) { createConference(input: $input) { id dialInCode } }`, { input: { subject: "Bystander" } });
  conference = createConference;
  eventsBefore = (await events(conference.id)).length;
});
afterAll(async () => {
  await t?.close();
});

async function events(conferenceId: string): Promise<{ type: string }[]> {
  const { events } = await t.admin.must(`query($id: ID!) { events(conferenceId: $id, limit: 1000) { type } }`, { id: conferenceId });
  return events;
}

/** Where the junk comes from: 127.0.0.2 when it can be bound (Linux), else 127.0.0.1. */
async function sourceHost(): Promise<string> {
  try {
    const probe = await RawUdpPeer.open("127.0.0.2");
    await probe.close();
    return "127.0.0.2";
  } catch {
    return "127.0.0.1";
  }
}

// ---- what is sent ----

interface Ctx {
  /** our address as the focus sees it, for Via and Contact */
  local: string;
  transport: "UDP" | "TCP";
  focus: string;
  /** a dial-in code that matches no conference (real ones have 6 digits and no leading zero) */
  nobody: string;
  /** unique per message: Call-ID, branch, tag */
  n: number;
}

const SDP = ["v=0", "o=fz 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0", "m=audio 9 RTP/AVP 0 8 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", ""].join("\r\n");

function head(c: Ctx, method: string, opts: { uri?: string; toTag?: boolean; cseq?: number } = {}): string[] {
  const uri = opts.uri ?? `sip:${c.nobody}@${c.focus}`;
  return [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/${c.transport} ${c.local};branch=z9hG4bK-fz-${c.n};rport`,
    `From: "Fuzz ${c.n}" <sip:fuzz-${c.n}@${c.local}>;tag=f${c.n}`,
    `To: <sip:${c.nobody}@${c.focus}>${opts.toTag ? `;tag=t${c.n}` : ""}`,
    `Call-ID: fz-${c.n}@127.0.0.1`,
    `CSeq: ${opts.cseq ?? 1} ${method}`,
    "Max-Forwards: 70",
  ];
}

/** Valid messages of every kind the focus meets; none can reach a real conference. */
const TEMPLATES: ((c: Ctx) => Buffer)[] = [
  (c) => sipBytes([...head(c, "INVITE"), `Contact: <sip:fuzz@${c.local}>`, "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS", "Supported: timer, 100rel", "Content-Type: application/sdp"], SDP),
  (c) => sipBytes([...head(c, "OPTIONS", { uri: `sip:focus@${c.focus}` }), "Accept: application/sdp"]),
  (c) => sipBytes([...head(c, "BYE", { toTag: true, cseq: 2 })]),
  (c) => sipBytes([...head(c, "SUBSCRIBE"), `Contact: <sip:fuzz@${c.local}>`, "Event: conference", "Accept: application/conference-info+xml", "Expires: 600"]),
  (c) => sipBytes([...head(c, "ACK", { toTag: true })]),
  (c) => sipBytes([...head(c, "CANCEL")]),
  (c) => sipBytes([...head(c, "INVITE", { toTag: true, cseq: 5 }), `Contact: <sip:fuzz@${c.local}>`, "Content-Type: application/sdp"], SDP),
  (c) => sipBytes([...head(c, "NOTIFY", { toTag: true }), "Event: conference", "Subscription-State: active;expires=60", "Content-Type: application/conference-info+xml"], "<conference-info/>"),
  (c) => sipBytes([...head(c, "REGISTER", { uri: `sip:${c.focus}` }), `Contact: <sip:fuzz@${c.local}>;expires=60`]),
  (c) => sipBytes([...head(c, "UPDATE", { toTag: true }), "Content-Type: application/sdp"], SDP),
  (c) => sipBytes([...head(c, "MESSAGE"), "Content-Type: text/plain"], "hello"),
  (c) => sipBytes([
    // compact forms, folding, several Vias in one header
    `INVITE sip:${c.nobody}@${c.focus};transport=udp SIP/2.0`,
    `v: SIP/2.0/${c.transport} ${c.local};branch=z9hG4bK-fzc-${c.n};rport, SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-x${c.n}`,
    `f: <sip:fuzz-${c.n}@${c.local}>`, ` ;tag=fc${c.n}`,
    `t: <sip:${c.nobody}@${c.focus}>`, `i: fzc-${c.n}`, "CSeq: 7 INVITE", `m: <sip:fuzz@${c.local}>`, "c: application/sdp", "Max-Forwards: 70",
  ], SDP),
  // responses nobody asked for (a stray 2xx, a provisional, a final for a NOTIFY the focus never sent)
  (c) => sipBytes(["SIP/2.0 200 OK", `Via: SIP/2.0/UDP ${c.focus};branch=z9hG4bK-stray-${c.n}`, `From: <sip:focus@${c.focus}>;tag=s${c.n}`, `To: <sip:fuzz@${c.local}>;tag=r${c.n}`, `Call-ID: stray-${c.n}`, "CSeq: 3 INVITE"]),
  (c) => sipBytes(["SIP/2.0 481 Subscription Does Not Exist", `Via: SIP/2.0/UDP ${c.focus};branch=z9hG4bK-stray-${c.n}`, `From: <sip:focus@${c.focus}>;tag=s${c.n}`, `To: <sip:fuzz@${c.local}>`, `Call-ID: stray-${c.n}`, "CSeq: 9 NOTIFY"]),
];


/** The shared operators (fuzz/support): bytes, SIP syntax, header-section lines, and the edits above. */
const MUTATIONS: MutationOptions = { tokens: SIP_TOKENS, lines: "head", edits: SIP_HEADER_EDITS };
const mutation = sharedMutation(MUTATIONS);
const mutate = (buf: Buffer, m: Mutation): Buffer => applyMutation(buf, m, MUTATIONS);

/** One datagram (or one message of a TCP stream), described by data so fast-check can generate it. */
type Case =
  | { kind: "valid"; template: number }
  | { kind: "mutated"; template: number; mutations: Mutation[] }
  | { kind: "junk"; bytes: Uint8Array }
  | { kind: "oversized"; template: number; size: number }
  | { kind: "keepalive"; text: string };

const template = fc.nat({ max: TEMPLATES.length - 1 });
const aCase: fc.Arbitrary<Case> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("valid" as const), template }) },
  { weight: 80, arbitrary: fc.record({ kind: fc.constant("mutated" as const), template, mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }) }) },
  { weight: 10, arbitrary: fc.record({ kind: fc.constant("junk" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 1400 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("oversized" as const), template, size: fc.integer({ min: 60_000, max: 65_507 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("keepalive" as const), text: fc.constantFrom("\r\n", "\r\n\r\n", "\n", " ", "") }) },
);

function render(k: Case, c: Ctx): Buffer {
  switch (k.kind) {
    case "valid":
      return TEMPLATES[k.template]!(c);
    case "mutated":
      return k.mutations.reduce(mutate, TEMPLATES[k.template]!(c));
    case "junk":
      return Buffer.from(k.bytes);
    case "oversized": {
      // a message that is well formed but for its size: a body padded to the limit of a UDP datagram
      const base = TEMPLATES[k.template]!(c);
      const pad = Math.max(0, k.size - base.length - 40);
      const text = base.toString("latin1").replace(/Content-Length: \d+\r\n\r\n/, `Content-Length: ${pad}\r\n\r\n`);
      return Buffer.concat([Buffer.from(text.slice(0, text.indexOf("\r\n\r\n") + 4), "latin1"), Buffer.alloc(pad, 0x61)]).subarray(0, 65_507);
    }
    case "keepalive":
      return Buffer.from(k.text);
  }
}

/** How one TCP connection behaves. */
type TcpScript =
  | { kind: "stream"; cases: Case[]; cuts: number[]; end: "close" | "reset" | "half" }
  | { kind: "garbage"; size: number; byte: number; end: "close" | "reset" }
  | { kind: "bigBody"; template: number; declared: number; sent: number; end: "close" | "reset" }
  | { kind: "stall"; template: number; keep: number };

const tcpScript: fc.Arbitrary<TcpScript> = fc.oneof(
  { weight: 6, arbitrary: fc.record({
    kind: fc.constant("stream" as const),
    cases: fc.array(aCase.filter((k) => k.kind !== "oversized"), { minLength: 1, maxLength: 8 }),
    cuts: fc.array(fc.nat({ max: 4000 }), { minLength: 1, maxLength: 10 }),
    end: fc.constantFrom("close" as const, "reset" as const, "half" as const),
  }) },
  // a stream that is never framed: no CRLFCRLF, up to beyond the 64 KiB the framer buffers
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("garbage" as const), size: fc.integer({ min: 1, max: 100_000 }), byte: fc.integer({ min: 0, max: 255 }).filter((b) => b !== 10 && b !== 13), end: fc.constantFrom("close" as const, "reset" as const) }) },
  // a header announcing a body far larger than what comes
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("bigBody" as const), template, declared: fc.constantFrom(70_000, 1_000_000, 2 ** 31, 2 ** 53), sent: fc.integer({ min: 0, max: 30_000 }), end: fc.constantFrom("close" as const, "reset" as const) }) },
  // the first bytes of a message, then silence until the test ends
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("stall" as const), template, keep: fc.integer({ min: 1, max: 200 }) }) },
);

// ---- how it is sent ----

const callIdOf = (raw: Buffer): string | null => /^(?:Call-ID|i)[ \t]*:[ \t]*(.*?)\r?$/im.exec(raw.toString("latin1"))?.[1] ?? null;

const statusOf = (raw: Buffer): number | null => {
  const m = /^SIP\/2\.0 (\d{3}) /.exec(raw.toString("latin1", 0, 16));
  return m ? Number(m[1]) : null;
};

/**
 * The status codes of the responses on a stream from the focus, framed by their Content-Length (which the
 * focus always writes). Not with the strict parser: a 400 echoes the broken headers it answers.
 */
function statusLines(stream: Buffer): number[] {
  const text = stream.toString("latin1");
  const out: number[] = [];
  let at = 0;
  while (at < text.length) {
    const status = /^SIP\/2\.0 (\d{3}) /.exec(text.slice(at, at + 16));
    const end = text.indexOf("\r\n\r\n", at);
    if (!status || end < 0) throw new Error(`the focus sent something that is not a response at ${at}: ${JSON.stringify(text.slice(at, at + 200))}`);
    out.push(Number(status[1]));
    const length = /\r\nContent-Length: (\d+)\r\n/i.exec(text.slice(at, end + 2));
    at = end + 4 + Number(length?.[1] ?? 0);
  }
  return out;
}

function count(hist: Map<number, number>, status: number | null): void {
  if (status !== null) hist.set(status, (hist.get(status) ?? 0) + 1);
}

async function connect(host: string, port: number, localAddress: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, localAddress }, () => {
      s.off("error", reject);
      resolve(s);
    });
    s.once("error", reject);
  });
}

/** Runs one TCP script; returns the statuses of the responses that came back on the connection, and how many writes it made. */
async function runTcp(script: TcpScript, ctx: (n: number) => Ctx, n: number, port: number, host: string, stalled: net.Socket[]): Promise<{ statuses: number[]; writes: number }> {
  const socket = await connect("127.0.0.1", port, host);
  socket.on("error", () => {}); // a reset by the focus after junk is expected
  const chunks: Buffer[] = [];
  socket.on("data", (d) => chunks.push(d));
  let writes = 0;
  const write = async (b: Buffer) => {
    if (socket.destroyed || b.length === 0) return;
    writes++;
    await new Promise<void>((resolve) => socket.write(b, () => resolve()));
    await new Promise((r) => setImmediate(r));
  };
  const finish = async (end: "close" | "reset" | "half") => {
    // time for the answers to come back before the connection goes
    await new Promise((r) => setTimeout(r, 60));
    if (end === "reset") socket.resetAndDestroy();
    else if (end === "half") {
      socket.end();
      await new Promise((r) => setTimeout(r, 30));
      socket.destroy();
    } else socket.destroy();
  };
  switch (script.kind) {
    case "stream": {
      const bytes = Buffer.concat(script.cases.map((k, i) => render(k, ctx(n * 100 + i))));
      let prev = 0;
      for (const cut of [...new Set(script.cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
        await write(bytes.subarray(prev, cut));
        prev = cut;
      }
      await write(bytes.subarray(prev));
      await finish(script.end);
      break;
    }
    case "garbage": {
      const junk = Buffer.alloc(script.size, script.byte);
      for (let off = 0; off < junk.length; off += 16_384) await write(junk.subarray(off, off + 16_384));
      await finish(script.end);
      break;
    }
    case "bigBody": {
      const base = TEMPLATES[script.template]!(ctx(n * 100)).toString("latin1");
      const head = base.slice(0, base.indexOf("\r\n\r\n") + 4).replace(/Content-Length: \d+/, `Content-Length: ${script.declared}`);
      await write(Buffer.from(head, "latin1"));
      await write(Buffer.alloc(script.sent, 0x62));
      await finish(script.end);
      break;
    }
    case "stall":
      await write(TEMPLATES[script.template]!(ctx(n * 100)).subarray(0, script.keep));
      stalled.push(socket);
      break;
  }
  return { statuses: statusLines(Buffer.concat(chunks)), writes };
}

test("a barrage of mutated SIP over UDP and TCP: the focus stays up, answers, and keeps nothing", async () => {
  const started = Date.now();
  const stalled: net.Socket[] = [];
  const host = await sourceHost();
  const peer = await RawUdpPeer.open(host);
  try {
    const sipPort = t.focus.sip!.port;
    const nobody = `0${randomInt(10 ** 9, 10 ** 10)}`;
    const ctxFor = (transport: "UDP" | "TCP", localPort: number) => (n: number): Ctx => ({ local: `${host}:${localPort}`, transport, focus: `127.0.0.1:${sipPort}`, nobody, n });

    // UDP: datagrams in small bursts, so the socket's receive buffer is not what drops them.
    const udpCases = fc.sample(aCase, { seed: SEED, numRuns: UDP_DATAGRAMS });
    const udpCtx = ctxFor("UDP", peer.port);
    let udpBytes = 0;
    /** what was sent, by Call-ID: to show the request behind an answer that should not have been */
    const sentByCallId = new Map<string, Buffer>();
    for (let i = 0; i < udpCases.length; i++) {
      const bytes = render(udpCases[i]!, udpCtx(i));
      udpBytes += bytes.length;
      const callId = callIdOf(bytes);
      if (callId) sentByCallId.set(callId, bytes);
      await peer.send(bytes.subarray(0, 65_507), sipPort, "127.0.0.1").catch(() => {});
      if (i % 25 === 24) await new Promise((r) => setTimeout(r, 2));
    }
    // TCP: connections twelve at a time, each with its own script.
    const scripts = fc.sample(tcpScript, { seed: SEED + 1, numRuns: TCP_CONNECTIONS });
    const tcpStatuses: number[] = [];
    let tcpWrites = 0;
    for (let i = 0; i < scripts.length; i += 12) {
      const batch = await Promise.all(scripts.slice(i, i + 12).map((s, j) => runTcp(s, ctxFor("TCP", 5060), 100_000 + i + j, sipPort, host, stalled)));
      for (const r of batch) {
        tcpStatuses.push(...r.statuses);
        tcpWrites += r.writes;
      }
    }
    const barrageMs = Date.now() - started;
    // what was still being handled (conference look-ups for the INVITEs and SUBSCRIBEs) finishes
    await new Promise((r) => setTimeout(r, 500));

    const udpHist = new Map<number, number>();
    for (const r of peer.received) count(udpHist, statusOf(r.raw));
    const tcpHist = new Map<number, number>();
    for (const s of tcpStatuses) count(tcpHist, s);
    const sorted = (h: Map<number, number>) => Object.fromEntries([...h].sort((a, b) => a[0] - b[0]));
    // The campaign runner's progress line (scripts/fuzz.mjs reads FUZZ_REPORT).
    if (process.env.FUZZ_REPORT) {
      appendFileSync(process.env.FUZZ_REPORT, JSON.stringify({ target: "sip-transport", property: "barrage", runs: udpCases.length + scripts.length, seconds: barrageMs / 1000, seed: SEED, slowestMs: 0, failed: false }) + "\n");
    }
    console.log(
      `sip-transport-fuzz (seed ${SEED}): ${udpCases.length} UDP datagrams (${udpBytes} bytes), ${scripts.length} TCP connections with ${tcpWrites} writes, in ${barrageMs} ms from ${host}; ` +
      `answers over UDP ${JSON.stringify(sorted(udpHist))}, over TCP ${JSON.stringify(sorted(tcpHist))}; transactions ${JSON.stringify(t.focus.sip!.endpoint.transactionCount)}; ` +
      `logged ${JSON.stringify(logged.map((r) => `${r.msg}${r.err?.code ? ` ${r.err.code}` : ""}`).reduce<Record<string, number>>((h, k) => ((h[k] = (h[k] ?? 0) + 1), h), {}))}`,
    );

    // The focus answered what it could: some 400s for broken requests, 404s for the number nobody has,
    // and never a 500 (a handler that threw on a message the parser let through).
    expect(udpHist.get(400) ?? 0).toBeGreaterThan(0);
    expect(udpHist.get(404) ?? 0).toBeGreaterThan(0);
    const failed = peer.received.filter((r) => statusOf(r.raw) === 500).map((r) => sentByCallId.get(callIdOf(r.raw) ?? "")?.toString("latin1") ?? "(request not found)");
    expect({ count: failed.length, first: failed.slice(0, 3), errors: unexpectedLogs().slice(0, 3) }).toEqual({ count: 0, first: [], errors: [] });
    expect(tcpHist.get(400) ?? 0).toBeGreaterThan(0);
    expect(tcpHist.get(500) ?? 0).toBe(0);
  } finally {
    for (const s of stalled) s.destroy();
    await peer.close();
  }

  expect(unexpectedLogs()).toEqual([]);

  // Still up: OPTIONS over UDP and TCP, and the HTTP side.
  expectSippOk(await sipp(t.focus.sip!.port, join(scenarios, "options.xml")));
  expectSippOk(await sipp(t.focus.sip!.port, join(scenarios, "options.xml"), { transport: "t1" }));
  expect((await fetch(`${t.url}/healthz`)).status).toBe(200);

  // Nothing kept: no call, no subscription, no request of the focus' own left open.
  expect(t.focus.sip!.service.callCount).toBe(0);
  expect(t.focus.sip!.service.subscriptionCount).toBe(0);
  expect(t.focus.sip!.endpoint.transactionCount.client).toBe(0);

  // The database holds what the test made and nothing else.
  const { users } = await t.admin.must(`query($id: ID!) { users(conferenceId: $id) { id } }`, { id: conference.id });
  expect(users).toEqual([]);
  expect(await events(conference.id)).toHaveLength(eventsBefore);
  const { conferences } = await t.admin.must(`{ conferences(first: 100) { nodes { id } } }`);
  expect(conferences.nodes.map((c: { id: string }) => c.id)).toEqual([conference.id]);
}, 40_000 * SCALE);

test("what the parser carries but no one here can read: 416 for a Request-URI scheme, 400 for a From or To scheme, never 500", async () => {
  const peer = await RawUdpPeer.open();
  try {
    const sipPort = t.focus.sip!.port;
    const local = `127.0.0.1:${peer.port}`;
    const request = (n: number, method: string, uri: string, from: string, to: string) => sipBytes([
      `${method} ${uri} SIP/2.0`, `Via: SIP/2.0/UDP ${local};branch=z9hG4bK-uri-${n};rport`, `From: ${from}`, `To: ${to}`,
      `Call-ID: uri-${n}@127.0.0.1`, `CSeq: 1 ${method}`, "Max-Forwards: 70", `Contact: <sip:u@${local}>`, ...(method === "SUBSCRIBE" ? ["Event: conference"] : []),
    ]);
    const sip = `<sip:${conference.dialInCode}@127.0.0.1:${sipPort}>`;
    const cases: [Buffer, number][] = [
      // RFC 4475 sections 3.3.2 and 3.3.3
      [request(1, "INVITE", "nobodyKnowsThisScheme:totallyopaquecontent", "<sip:a@127.0.0.1>;tag=1", sip), 416],
      [request(2, "OPTIONS", "soap.beep://192.0.2.103:3002", "<sip:a@127.0.0.1>;tag=2", sip), 416],
      [request(3, "INVITE", "sip7.0.0.1:5060", "<sip:a@127.0.0.1>;tag=3", sip), 416],
      // RFC 4475 section 3.3.4, aimed at the real conference: refused before any join
      [request(4, "INVITE", `sip:${conference.dialInCode}@127.0.0.1:${sipPort}`, "<http://www.example.com>;tag=4", sip), 400],
      [request(5, "SUBSCRIBE", `sip:${conference.dialInCode}@127.0.0.1:${sipPort}`, "<sip:a@127.0.0.1>;tag=5", "isbn:2983792873"), 400],
      [request(6, "BYE", `sip:focus@127.0.0.1:${sipPort}`, "<sip:a@127.0.0.1>;tag=6", "<ip:x@127.0.0.1>;tag=x"), 400],
    ];
    for (const [bytes] of cases) await peer.send(bytes, sipPort);
    await peer.until(() => cases.every((_, i) => peer.received.some((r) => callIdOf(r.raw) === `uri-${i + 1}@127.0.0.1` && (statusOf(r.raw) ?? 0) >= 200)));
    const finals = cases.map((_, i) => statusOf(peer.received.find((r) => callIdOf(r.raw) === `uri-${i + 1}@127.0.0.1` && (statusOf(r.raw) ?? 0) >= 200)!.raw));
    expect(finals).toEqual(cases.map(([, status]) => status));
    expect(t.focus.sip!.service.callCount).toBe(0);
    expect(t.focus.sip!.service.subscriptionCount).toBe(0);
    const { users } = await t.admin.must(`query($id: ID!) { users(conferenceId: $id) { id } }`, { id: conference.id });
    expect(users).toEqual([]);
    expect(unexpectedLogs()).toEqual([]);
  } finally {
    await peer.close();
  }
});
