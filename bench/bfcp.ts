/**
 * BFCP floor control benchmark (`npm run bench:bfcp`): floor requests per second with 1,000 queued requesters,
 * then grants per second by a chair's ChairActions.
 *
 * A BFCP participant is a SIP call leg that got a=confid/a=userid/a=floorid in its 200's SDP (RFC 8856), and
 * its BFCP messages must come from that call's address, so the 1,000 requesters are 1,000 real calls: one
 * sipp process (Debian sip-tester) places them with media/test/sipp/bfcp-call.xml (INVITE offering PCMU with
 * a=inactive and an UDP/BFCP stream -> 200 -> ACK -> stays until the focus hangs up), writes each call's BFCP
 * identity to its <log> file, and this process reads them back. a=inactive keeps the mixer from sending
 * 1,000 RTP streams to sipp while we measure floor control. A 1,001st call is the chair (a MODERATOR user).
 * This process is the BFCP side: 1,001 UDP sockets on 127.0.0.1 (the calls' c= address), each speaking
 * version 2 with media/test/support/bfcp-client.ts (the tests' own client, independent of the focus' codec),
 * retransmitting its requests after 500 ms and acknowledging the server's notifications.
 *
 *   1. FloorRequest: every requester asks for the conference's audio floor (MODERATED, one holder), WINDOW
 *      requests in flight at a time, until 1,000 requests are queued; requests/s and response time.
 *   2. ChairAction: the chair grants a queued request (ChairAction Granted; in the order they were made), waits
 *      for the ChairActionAck and for the beneficiary's Granted FloorRequestStatus, then revokes it (ChairAction
 *      Revoked), for GRANTS requests; grants/s, ChairAction response time, grant -> beneficiary notified.
 *
 * The focus runs as its own process (SQLite, LOG_LEVEL=warn). Prints the figures and rewrites the
 * "## BFCP (npm run bench:bfcp)" section of bench/RESULTS.md (other sections are kept). Everything runs on
 * 127.0.0.1; every child process is killed at the end and the script exits by itself (watchdog 3.5 min).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { freeUdpPort } from "../api/test/support/net.ts";
import { BfcpUdpClient, body, Primitive, Status, statusOf, type Ids, type Received } from "../media/test/support/bfcp-client.ts";
import { machineBusySeconds, processCpuSeconds, processRssMiB, repo, sqliteDatabase, startFocusProcess, type Database, type FocusProcess } from "./lib/focus.ts";
import { machine, ms, summarize, table, writeResults, type Summary } from "./lib/report.ts";
import { GraphQLHttp } from "./lib/graphql.ts";
import { writeHeadlines } from "./lib/headlines.ts";

// ---- parameters (fixed, so runs compare) ----
const ADMIN_TOKEN = "dcon_bench-admin-secret-0123456789abcdefghijklmn";
const REQUESTERS = 1000;
/** FloorRequests in flight at a time in phase 1 */
const WINDOW = 16;
/** grant + revoke cycles in phase 2 (each grants the head of a queue of 1,000 .. 1,000 - GRANTS) */
const GRANTS = 300;
/** calls placed per second by sipp */
const CALL_RATE = 100;
const CALLS_TIMEOUT_MS = 60_000;
const PHASE_TIMEOUT_MS = 50_000;
const WATCHDOG_MS = 210_000;
const SCENARIO = join(repo, "media", "test", "sipp", "bfcp-call.xml");
const CHAIR = "bench-chair";

const started = performance.now();
const log = (msg: string) => process.stdout.write(`[bench:bfcp ${((performance.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const benchCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

interface Identity extends Ids {
  floorId: number;
  port: number;
}

const children = new Set<ChildProcess>();

/** media/test/sipp/bfcp-call.xml with its __PLACEHOLDERS__ filled, written to `dir`. */
function scenario(dir: string, name: string, values: Record<string, string | number>): string {
  let text = readFileSync(SCENARIO, "utf8");
  for (const [k, v] of Object.entries(values)) text = text.replaceAll(`__${k}__`, String(v));
  const file = join(dir, `${name}.xml`);
  writeFileSync(file, text);
  return file;
}

/** sipp placing `calls` calls that offer UDP/BFCP and stay; their identities go to `logFile`. */
async function placeCalls(dir: string, sipPort: number, dialIn: string, user: string, calls: number, logFile: string): Promise<ChildProcess> {
  const sf = scenario(dir, user, {
    USER: calls > 1 ? `${user}-[call_number]` : user,
    NAME: user,
    BFCP_PROTO: "UDP/BFCP",
    BFCP_ATTRS: "a=floorctrl:c-only",
    AUDIO_PORT: "[media_port]",
    DIRECTION: "a=inactive",
    RTP: "",
    HOLD_MS: WATCHDOG_MS,
  });
  const port = await freeUdpPort();
  const mediaPort = await freeUdpPort(4);
  const args = [
    `127.0.0.1:${sipPort}`, "-sf", sf, "-s", dialIn, "-i", "127.0.0.1", "-p", String(port), "-mi", "127.0.0.1", "-mp", String(mediaPort),
    "-m", String(calls), "-r", String(CALL_RATE), "-l", String(calls), "-t", "u1", "-nostdin",
    "-trace_logs", "-log_file", logFile, "-trace_err", "-error_file", join(dir, `${user}-errors.log`),
  ];
  const child = spawn("sipp", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d) => (err = (err + d).slice(-2000)));
  children.add(child);
  child.once("exit", (code) => {
    children.delete(child);
    if (code !== null && code !== 0 && !stopping) log(`sipp (${user}) exited ${code}: ${err.replace(/\s+/g, " ").slice(-500)}`);
  });
  return child;
}
let stopping = false;

function identities(logFile: string): Identity[] {
  if (!existsSync(logFile)) return [];
  const out: Identity[] = [];
  for (const m of readFileSync(logFile, "utf8").matchAll(/BFCP from=\S+ confid=(\d+) userid=(\d+) floorid=(\d+) port=(\d+) proto=UDP/g)) {
    out.push({ conferenceId: Number(m[1]), userId: Number(m[2]), floorId: Number(m[3]), port: Number(m[4]) });
  }
  return out;
}

async function waitForIdentities(logFile: string, n: number, what: string): Promise<Identity[]> {
  const end = Date.now() + CALLS_TIMEOUT_MS;
  let last = -1;
  for (;;) {
    const ids = identities(logFile);
    if (ids.length >= n) return ids;
    if (Date.now() > end) throw new Error(`${what}: ${ids.length} of ${n} calls answered in ${CALLS_TIMEOUT_MS / 1000} s`);
    if (ids.length !== last && ids.length % 200 < 20) log(`  ${what}: ${ids.length}/${n} calls answered`);
    last = ids.length;
    await sleep(250);
  }
}

function graphql<T>(focus: FocusProcess, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  return new GraphQLHttp(focus.url, ADMIN_TOKEN).gql<T>(query, variables);
}

interface Phase {
  name: string;
  count: number;
  seconds: number;
  perSecond: number;
  rtt: Summary;
  /** response time by queue length when sent (phase 1) or at the grant (phase 2): [label, summary] */
  byDepth: [string, Summary][];
  retransmissions: number;
  focusCpu: number;
  notified?: Summary;
  revoke?: Summary;
}

async function main(): Promise<void> {
  let database: Database | null = null;
  let focus: FocusProcess | null = null;
  const clients: BfcpUdpClient[] = [];
  const work = mkdtempSync(join(os.tmpdir(), "dcon-bench-bfcp-"));
  let cleaned: Promise<void> | null = null;
  const cleanup = () =>
    (cleaned ??= (async () => {
      stopping = true;
      for (const c of clients) c.close();
      for (const c of children) c.kill("SIGKILL");
      await focus?.stop().catch(() => {});
      await database?.dispose().catch(() => {});
      if (process.env.BENCH_KEEP) log(`kept sipp files in ${work}`);
      else rmSync(work, { recursive: true, force: true });
    })());
  const watchdog = setTimeout(() => {
    process.stderr.write(`[bench:bfcp] watchdog: still running after ${WATCHDOG_MS / 1000} s; giving up\n`);
    void cleanup().finally(() => process.exit(3));
  }, WATCHDOG_MS);
  watchdog.unref();
  const onSignal = (signal: string) => {
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const phases: Phase[] = [];
  const notes: string[] = [];
  const load0 = os.loadavg()[0]!;
  let sippVersion = "sipp";
  let callsSeconds = Number.NaN;
  let otherCores = Number.NaN;
  let sippCores = Number.NaN;
  let rssAfter = Number.NaN;
  try {
    sippVersion = await new Promise<string>((resolve) => {
      const v = spawn("sipp", ["-v"], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      v.stdout.on("data", (d) => (out += d));
      v.once("exit", () => resolve(/SIPp v[^\s]+/.exec(out)?.[0]?.replace(/\.$/, "") ?? "sipp"));
    });
    database = sqliteDatabase();
    const sipPort = await freeUdpPort();
    const bfcpPort = await freeUdpPort();
    let t0 = performance.now();
    focus = await startFocusProcess({
      DATABASE_URL: database.url, ADMIN_TOKEN, ISLAND: "bench.local", SIP_PORT: String(sipPort), BFCP_PORT: String(bfcpPort),
      RTP_PORT_MIN: "30000", RTP_PORT_MAX: "34999", LOG_LEVEL: "warn",
    });
    log(`focus pid ${focus.pid} on ${focus.url}, SIP 127.0.0.1:${sipPort}, BFCP 127.0.0.1:${bfcpPort} (started in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    const { createConference: conf } = await graphql<{ createConference: { id: string; dialInCode: string; floors: { id: string; label: string; policy: string; maxHolders: number }[] } }>(
      focus,
      `mutation($input: ConferenceInput!) { createConference(input: $input) { id dialInCode floors { id label policy maxHolders } } }`,
      { input: { subject: "bench bfcp", durationMin: 24 * 60, maxUsers: 10_000, users: [{ entity: `sip:${CHAIR}@127.0.0.1`, displayName: "Chair", role: "MODERATOR" }] } },
    );
    const audio = conf.floors.find((f) => f.label === "audio")!;
    log(`conference ${conf.id}, dial-in ${conf.dialInCode}, audio floor ${audio.policy} with at most ${audio.maxHolders} holder(s)`);

    // ---- the calls ----
    t0 = performance.now();
    const chairLog = join(work, "chair.log");
    const callersLog = join(work, "callers.log");
    await placeCalls(work, sipPort, conf.dialInCode, CHAIR, 1, chairLog);
    const [chairIds] = await waitForIdentities(chairLog, 1, "chair");
    log(`placing ${REQUESTERS} calls at ${CALL_RATE}/s ...`);
    await placeCalls(work, sipPort, conf.dialInCode, "bench", REQUESTERS, callersLog);
    const ids = await waitForIdentities(callersLog, REQUESTERS, "requesters");
    callsSeconds = (performance.now() - t0) / 1000;
    const userIds = new Set(ids.map((i) => i.userId));
    if (userIds.size !== REQUESTERS || userIds.has(chairIds!.userId)) throw new Error(`expected ${REQUESTERS} distinct User IDs, got ${userIds.size}`);
    if (ids.some((i) => i.conferenceId !== chairIds!.conferenceId || i.floorId !== chairIds!.floorId || i.port !== bfcpPort)) throw new Error("calls disagree on a=confid/a=floorid/port");
    const floorId = chairIds!.floorId;
    log(`${REQUESTERS + 1} calls up in ${callsSeconds.toFixed(1)} s (Conference ID ${chairIds!.conferenceId}, Floor ID ${floorId}); opening ${REQUESTERS + 1} BFCP/UDP sockets`);

    const chair = await BfcpUdpClient.open(bfcpPort, chairIds!);
    clients.push(chair);
    const requesters: BfcpUdpClient[] = [];
    for (const i of ids) {
      const c = await BfcpUdpClient.open(bfcpPort, i);
      clients.push(c);
      requesters.push(c);
    }
    // Warm-up outside the figures: every requester says Hello (binds its socket, JIT-warms the server's path).
    const hello = await Promise.all([chair, ...requesters].map((c) => c.request(body.hello())));
    if (hello.some((m) => m.primitive !== Primitive.HelloAck)) throw new Error("a Hello was not answered with HelloAck");

    const sippCpu = () => [...children].reduce((n, c) => n + (c.pid ? processCpuSeconds(c.pid) : 0), 0);
    const busy0 = machineBusySeconds();
    const sipp0 = sippCpu();
    const focusCpu0 = processCpuSeconds(focus.pid);
    const bench0 = benchCpuSeconds();
    const wall0 = performance.now();

    // ---- 1. FloorRequest x 1,000 ----
    log(`1. ${REQUESTERS} FloorRequests, ${WINDOW} in flight ...`);
    const rtts: number[] = new Array<number>(REQUESTERS);
    const depthAtSend: number[] = new Array<number>(REQUESTERS);
    const frids: number[] = new Array<number>(REQUESTERS);
    const sent0 = requesters.reduce((n, c) => n + c.sent, 0);
    let cpu0 = processCpuSeconds(focus.pid);
    let p0 = performance.now();
    let next = 0;
    let answered = 0;
    const failures: string[] = [];
    const worker = async () => {
      while (next < REQUESTERS) {
        const i = next++;
        depthAtSend[i] = answered;
        const s = performance.now();
        const r = await requesters[i]!.request(body.floorRequest({ floorId }));
        rtts[i] = performance.now() - s;
        answered++;
        const st = statusOf(r);
        if (r.primitive !== Primitive.FloorRequestStatus || st?.status !== Status.Pending) failures.push(`request ${i}: ${JSON.stringify({ p: r.primitive, st, e: r.errorCode })}`);
        frids[i] = st?.floorRequestId ?? 0;
      }
    };
    await withTimeout(Promise.all(Array.from({ length: WINDOW }, worker)), PHASE_TIMEOUT_MS, "phase 1");
    let wall = (performance.now() - p0) / 1000;
    const retrans1 = requesters.reduce((n, c) => n + c.sent, 0) - sent0 - REQUESTERS;
    if (failures.length) throw new Error(`${failures.length} FloorRequests failed: ${failures.slice(0, 3).join("; ")}`);
    const { floor } = await graphql<{ floor: { queue: { id: string; userId: string; status: string }[] } }>(focus, `query($id: ID!) { floor(id: $id) { queue { id status } } }`, { id: audio.id });
    if (floor.queue.length !== REQUESTERS || floor.queue.some((r) => r.status !== "PENDING")) throw new Error(`the floor's queue has ${floor.queue.length} requests`);
    const buckets = (values: number[], depth: number[], edges: number[]): [string, Summary][] =>
      edges.slice(1).map((hi, k) => {
        const lo = edges[k]!;
        return [`${lo}–${hi - 1}`, summarize(values.filter((_, i) => depth[i]! >= lo && depth[i]! < hi))];
      });
    phases.push({
      name: "FloorRequest",
      count: REQUESTERS,
      seconds: wall,
      perSecond: REQUESTERS / wall,
      rtt: summarize(rtts),
      byDepth: buckets(rtts, depthAtSend, [0, 250, 500, 750, 1000]),
      retransmissions: retrans1,
      focusCpu: (processCpuSeconds(focus.pid) - cpu0) / wall,
    });
    log(`   ${REQUESTERS} queued in ${wall.toFixed(2)} s: ${(REQUESTERS / wall).toFixed(0)}/s, response median ${ms(phases[0]!.rtt.median)} ms p99 ${ms(phases[0]!.rtt.p99)} ms, ${retrans1} retransmissions`);

    // ---- 2. ChairAction: grant the head of the queue, then revoke ----
    log(`2. ${GRANTS} grants (ChairAction Granted, then Revoked) by the chair ...`);
    const byFrid = new Map<number, BfcpUdpClient>(frids.map((f, i) => [f, requesters[i]!]));
    const grantRtt: number[] = [];
    const notified: number[] = [];
    const revokeRtt: number[] = [];
    const depthAtGrant: number[] = [];
    const chairSent0 = chair.sent;
    cpu0 = processCpuSeconds(focus.pid);
    p0 = performance.now();
    // in the order the requests were made (a MODERATED floor: the chair may grant any of them)
    const order = frids;
    await withTimeout((async () => {
      for (let k = 0; k < GRANTS; k++) {
        const frid = order[k]!;
        const who = byFrid.get(frid)!;
        const from = who.received.length;
        depthAtGrant.push(REQUESTERS - k);
        const s = performance.now();
        const toldP = who.waitFor((m: Received) => m.primitive === Primitive.FloorRequestStatus && statusOf(m)?.status === Status.Granted, 10_000, from).then(() => performance.now() - s);
        const ack = await chair.request(body.chairAction({ floorRequestId: frid, floorId, status: Status.Granted }));
        grantRtt.push(performance.now() - s);
        if (ack.primitive !== Primitive.ChairActionAck) throw new Error(`grant ${k}: ${JSON.stringify({ p: ack.primitive, e: ack.errorCode, info: ack.errorInfo })}`);
        notified.push(await toldP);
        const r = performance.now();
        const revoked = await chair.request(body.chairAction({ floorRequestId: frid, floorId, status: Status.Revoked }));
        revokeRtt.push(performance.now() - r);
        if (revoked.primitive !== Primitive.ChairActionAck) throw new Error(`revoke ${k}: ${JSON.stringify({ p: revoked.primitive, e: revoked.errorCode, info: revoked.errorInfo })}`);
      }
    })(), PHASE_TIMEOUT_MS, "phase 2");
    wall = (performance.now() - p0) / 1000;
    phases.push({
      name: "ChairAction (grant, then revoke)",
      count: GRANTS,
      seconds: wall,
      perSecond: GRANTS / wall,
      rtt: summarize(grantRtt),
      byDepth: buckets(grantRtt, depthAtGrant, [REQUESTERS - GRANTS + 1, REQUESTERS - GRANTS / 2 + 1, REQUESTERS + 1]),
      retransmissions: chair.sent - chairSent0 - 2 * GRANTS,
      focusCpu: (processCpuSeconds(focus.pid) - cpu0) / wall,
      notified: summarize(notified),
      revoke: summarize(revokeRtt),
    });
    const g = phases[1]!;
    log(`   ${GRANTS} grants in ${wall.toFixed(2)} s: ${g.perSecond.toFixed(0)} grants/s (${(2 * g.perSecond).toFixed(0)} ChairActions/s), grant ack median ${ms(g.rtt.median)} ms p99 ${ms(g.rtt.p99)} ms, beneficiary notified median ${ms(g.notified!.median)} ms p99 ${ms(g.notified!.p99)} ms`);

    const measured = (performance.now() - wall0) / 1000;
    sippCores = (sippCpu() - sipp0) / measured;
    const other = machineBusySeconds() - busy0 - (processCpuSeconds(focus.pid) - focusCpu0) - (benchCpuSeconds() - bench0) - (sippCpu() - sipp0);
    otherCores = Math.max(0, other / measured);
    rssAfter = processRssMiB(focus.pid);
    if (otherCores > 0.25) notes.push(`Warning: other processes used ${otherCores.toFixed(2)} cores on average during this run; the figures are disturbed by them.`);
  } finally {
    const out = focus?.output() ?? "";
    await cleanup();
    if (out.trim()) log(`focus output (tail):\n${out.slice(-1500)}`);
  }

  // ---- report ----
  const [req, grant] = phases;
  const rows = phases.map((p) => [
    p.name,
    String(p.count),
    p.seconds.toFixed(2),
    p.perSecond.toFixed(0),
    ms(p.rtt.median),
    ms(p.rtt.p99),
    ms(p.rtt.max),
    String(p.retransmissions),
    `${(p.focusCpu * 100).toFixed(0)}%`,
  ]);
  const mainTable = table(["Phase", "Operations", "Seconds", "Per second", "Response median ms", "p99 ms", "max ms", "Retransmissions", "Focus CPU"], rows);
  const depthTable = table(
    ["Phase", "Queue length", "Operations", "Response median ms", "p99 ms"],
    phases.flatMap((p) => p.byDepth.map(([label, s]) => [p.name, label, String(s.n), ms(s.median), ms(s.p99)])),
  );
  if (req && grant) {
    notes.unshift(
      `${REQUESTERS} floor requests queued at **${req.perSecond.toFixed(0)}/s** (${WINDOW} in flight; response median ${ms(req.rtt.median)} ms, p99 ${ms(req.rtt.p99)} ms); ` +
        `**${grant.perSecond.toFixed(0)} grants/s** by ChairAction with ${REQUESTERS - GRANTS + 1}–${REQUESTERS} requests queued (each grant followed by a revoke: ${(2 * grant.perSecond).toFixed(0)} ChairActions/s; ` +
        `ChairActionAck median ${ms(grant.rtt.median)} ms, p99 ${ms(grant.rtt.p99)} ms; the beneficiary's Granted FloorRequestStatus median ${ms(grant.notified!.median)} ms, p99 ${ms(grant.notified!.p99)} ms after the ChairAction was sent; revoke median ${ms(grant.revoke!.median)} ms).`,
    );
    const first = req.byDepth[0]![1];
    const last = req.byDepth[req.byDepth.length - 1]![1];
    notes.push(`FloorRequest response median with 0–249 requests already queued: ${ms(first.median)} ms; with 750–999: ${ms(last.median)} ms.`);
  }
  const m = machine();
  const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const report = [
    [
      `- Run: ${date}`,
      ...Object.entries(m).map(([k, v]) => `- ${k}: ${v}`),
      `- Database: ${database?.label ?? "SQLite"}`,
      `- Calls: ${sippVersion} (Debian sip-tester), ${REQUESTERS + 1} calls at ${CALL_RATE}/s, all up after ${Number.isFinite(callsSeconds) ? callsSeconds.toFixed(1) : "?"} s; focus RSS ${Number.isFinite(rssAfter) ? rssAfter.toFixed(0) : "?"} MiB at the end`,
      `- Other load: 1-minute load average ${load0.toFixed(2)} at start; other processes kept ${Number.isFinite(otherCores) ? otherCores.toFixed(2) : "?"} cores busy on average while measuring (sipp, holding the calls: ${Number.isFinite(sippCores) ? sippCores.toFixed(2) : "?"} cores)`,
    ].join("\n"),
    `**Floor control over BFCP/UDP** (one conference, its MODERATED audio floor with one holder; response times from sending the request to its response, nearest-rank)\n\n${mainTable}`,
    `**By queue length** (requests queued when the FloorRequest was sent; requests queued when the chair granted one)\n\n${depthTable}`,
    notes.map((n) => `- ${n}`).join("\n"),
  ].join("\n\n");
  process.stdout.write(`\n${report}\n\n`);

  const intro = `Method: the focus (\`node --import tsx api/src/main.ts\`, LOG_LEVEL=warn, SQLite) runs as its own process, with one
conference (a MODERATOR user \`sip:${CHAIR}@127.0.0.1\`) created over GraphQL. A BFCP participant is a SIP call leg that got
a=confid/a=userid/a=floorid in its 200 (RFC 8856), and the focus accepts its BFCP messages only from that call's address,
so the ${REQUESTERS.toLocaleString("en")} requesters are real calls: one sipp process places them with \`media/test/sipp/bfcp-call.xml\`
(INVITE offering PCMU with a=inactive, so the mixer sends no RTP, and an UDP/BFCP stream → 200 → ACK → stays), writes each
call's BFCP identity to its log, and \`bench/bfcp.ts\` reads it back; a ${(REQUESTERS + 1).toLocaleString("en")}st call is the chair. The bench is the BFCP
side: one UDP socket per participant on 127.0.0.1 with \`media/test/support/bfcp-client.ts\` (the integration tests' client,
written from RFC 8855 independently of the focus' codec: version 2, requests retransmitted after 500 ms doubling,
notifications acknowledged). Every participant says Hello first (not measured). Phase 1: each requester sends one
FloorRequest for the audio floor (MODERATED, one holder), ${WINDOW} in flight at a time, until ${REQUESTERS.toLocaleString("en")} requests are queued (each answered
Pending; the GraphQL queue is checked to hold them all). Phase 2: the chair grants a queued request (ChairAction
Granted; in the order they were made), waits for its ChairActionAck and for the beneficiary's Granted FloorRequestStatus, then revokes it (ChairAction
Revoked), ${GRANTS} times, one at a time. "Focus CPU" is the focus process' CPU time / wall time over the phase (100% = one core).`;
  const file = join(repo, "bench", "RESULTS.md");
  writeResults(file, "## BFCP (npm run bench:bfcp)", intro, "### SQLite (`npm run bench:bfcp`)", "### SQLite", report);
  log(`wrote ${file}`);
  // No BFCP server is packaged in Debian to run beside ours, so these headlines have no peer figure.
  if (req && grant) {
    writeHeadlines(
      "bfcp",
      [
        { figure: `BFCP FloorRequests/s, ${REQUESTERS} requesters queueing (${WINDOW} in flight)`, ours: `${req.perSecond.toFixed(0)}/s (p99 ${ms(req.rtt.p99)} ms)` },
        { figure: `BFCP grants/s by ChairAction, ${REQUESTERS - GRANTS + 1}–${REQUESTERS} queued`, ours: `${grant.perSecond.toFixed(0)}/s (ack p99 ${ms(grant.rtt.p99)} ms)` },
      ],
      "SQLite",
    );
  }
  clearTimeout(watchdog);
  if (phases.length < 2) process.exitCode = 1;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
    }),
  ]);
}

main().then(
  () => {
    setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref();
  },
  (err) => {
    process.stderr.write(`[bench:bfcp] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
