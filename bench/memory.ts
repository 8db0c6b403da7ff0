/**
 * Memory benchmark (`npm run bench:memory`): what one more GraphQL subscriber and one more SIP participant
 * cost the focus. The focus runs as its own process (SQLite, LOG_LEVEL=warn) with the V8 inspector on a
 * loopback port (bench/lib/inspector.ts), through which this script forces full garbage collections and
 * reads process.memoryUsage(), so the figures are live data, not garbage waiting for a collection.
 *   1. Participants: SIP calls from sipp (bench/sipp/hold-talk.xml: each call streams a looped u-law tone and
 *      stays up) into one conference at 0, 50, 100 and 200 participants; the focus mixes and sends each one
 *      its N-1 mix every 20 ms, so RTP flows both ways. At each size: the focus' CPU (the mixer's work, with
 *      the sockets) and its memory after GC.
 *   2. Subscribers: graphql-ws clients of one conference's events (bench/lib/ws-fleet.ts, spread over worker
 *      processes) at 0, 1,000, 5,000 and 10,000, on a second, fresh focus; memory after GC at each.
 * Per participant and per subscriber: the least-squares slope of heap and RSS over the sizes. Prints the
 * tables, rewrites the "## Memory" section of bench/RESULTS.md (others kept) and records headline figures.
 * Everything runs on 127.0.0.1; every child process is stopped at the end and the script exits by itself.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { freePort, freeUdpPort } from "../api/test/support/net.ts";
import { encodeUlaw, ToneGenerator } from "../media/src/audio/index.ts";
import { processCpuSeconds, repo, sqliteDatabase, startFocusProcess, type Database, type FocusProcess } from "./lib/focus.ts";
import { EVENTS_SUBSCRIPTION, GraphQLHttp } from "./lib/graphql.ts";
import { writeHeadlines, type Headline } from "./lib/headlines.ts";
import { Inspector, type MemoryUsage } from "./lib/inspector.ts";
import { machine, table, writeResults } from "./lib/report.ts";
import { SubscriberFleet } from "./lib/ws-fleet.ts";

// ---- parameters (fixed, so runs compare) ----
const ADMIN_TOKEN = "dcon_bench-admin-secret-0123456789abcdefghijklmn";
const PARTICIPANT_STEPS = [0, 50, 100, 200];
const SUBSCRIBER_STEPS = [0, 1000, 5000, 10_000];
/** new calls per second while adding participants */
const CALL_RATE = 25;
/** how long each call would stay up: far longer than the run, which hangs up by stopping sipp */
const HOLD_MS = 30 * 60_000;
/** wait after reaching a size before measuring, so joins, jitter buffers and socket buffers settle */
const SETTLE_MS = 3000;
/** the focus' CPU is averaged over this window at each participant count */
const CPU_WINDOW_MS = 5000;
/** memory readings per size, each after two full collections; heap: the lowest, RSS: the median */
const MEMORY_SAMPLES = 3;
const CONNECT_CONCURRENCY = 100;
const FLEET_WORKERS = 4;
const JOIN_TIMEOUT_MS = 60_000;
/** no subscriber is started after this long into the subscriber phase: a busy machine measures fewer sizes, and says so */
const SUBSCRIBE_BUDGET_MS = 240_000;
const WATCHDOG_MS = 10 * 60_000;
/** the focus' RTP ports: away from the default range that test suites on the same machine use */
const RTP_PORTS = { min: 31000, max: 33999 };
const SCENARIO = join(repo, "bench", "sipp", "hold-talk.xml");


const started = performance.now();
const log = (msg: string) => process.stdout.write(`[bench:memory ${((performance.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const MiB = 2 ** 20;

/** What to stop if the run ends early (signal or watchdog): every child process of this script. */
const closers = new Set<() => Promise<unknown>>();
async function closeAll(): Promise<void> {
  await Promise.all([...closers].map((c) => c().catch(() => {})));
}

class BenchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BenchError";
  }
}

// ---- memory readings ----

interface MemoryPoint {
  /** participants or subscribers */
  n: number;
  heapUsed: number;
  rss: number;
  external: number;
}

/** The focus' memory after full collections: the lowest heap of a few readings, the median RSS and external. */
async function settledMemory(inspector: Inspector, n: number): Promise<MemoryPoint> {
  const readings: MemoryUsage[] = [];
  for (let i = 0; i < MEMORY_SAMPLES; i++) {
    if (i > 0) await sleep(500);
    // two passes: the first can leave objects whose finalizers the second reclaims
    await inspector.collectGarbage();
    await inspector.collectGarbage();
    readings.push(await inspector.memoryUsage());
  }
  const median = (k: keyof MemoryUsage) => readings.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(readings.length / 2)]!;
  return { n, heapUsed: Math.min(...readings.map((r) => r.heapUsed)), rss: median("rss"), external: median("external") };
}

/**
 * One discarded pass before the first reading: right after start the focus still holds its start-up garbage
 * (compiled TypeScript, migrations), which the first collections free and the allocator hands back to the
 * system over the next seconds; measured then, the empty focus looks bigger than it is.
 */
async function settleBaseline(inspector: Inspector): Promise<void> {
  await settledMemory(inspector, 0);
  await sleep(SETTLE_MS);
}

/** Least-squares slope of y over x (bytes per unit); NaN with fewer than two distinct x. */
function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  if (!(sxx > 0)) return Number.NaN;
  return points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx;
}

const kib = (bytes: number) => (Number.isFinite(bytes) ? (bytes / 1024).toFixed(1) : "-");
const mib = (bytes: number) => (bytes / MiB).toFixed(1);

/** A focus process with its inspector on a free loopback port. */
async function startInspectedFocus(db: Database, env: Record<string, string>): Promise<{ focus: FocusProcess; inspector: Inspector }> {
  const inspectPort = await freePort();
  const focus = await startFocusProcess({
    DATABASE_URL: db.url,
    ADMIN_TOKEN,
    ISLAND: "bench.local",
    // the inspector only: no code in the focus changes, and nothing listens beyond 127.0.0.1
    NODE_OPTIONS: `--inspect=127.0.0.1:${inspectPort}`,
    // BFCP on any free port: the fixed default may be held by another focus on this machine
    BFCP_PORT: "0",
    ...env,
  });
  try {
    return { focus, inspector: await Inspector.connect(inspectPort) };
  } catch (err) {
    await focus.stop();
    throw err;
  }
}

async function createConference(http: GraphQLHttp, subject: string): Promise<{ id: string; dialInCode: string }> {
  const d = await http.gql<{ createConference: { id: string; dialInCode: string } }>(
    `mutation($input: ConferenceInput!) { createConference(input: $input) { id dialInCode } }`,
    { input: { subject, durationMin: 24 * 60, maxUsers: 10_000 } },
  );
  return d.createConference;
}

// ---- participants ----

interface ParticipantRow extends MemoryPoint {
  /** focus CPU time / wall time over CPU_WINDOW_MS */
  focusCpu: number;
  /** sipp's CPU time / wall time (the callers, for context: they share the machine) */
  sippCpu: number;
}

class Callers {
  private readonly children = new Set<ChildProcess>();
  private batch = 0;
  private outputs: string[] = [];

  constructor(private readonly work: string, private readonly sipPort: number, private readonly dialInCode: string) {}

  get pids(): number[] {
    return [...this.children].map((c) => c.pid!).filter(Boolean);
  }

  cpuSeconds(): number {
    return this.pids.reduce((s, pid) => s + (processCpuSeconds(pid) || 0), 0);
  }

  /** One more sipp placing `count` calls that stay up (its own batch of From users). */
  async add(count: number, holdScenario: string): Promise<void> {
    this.batch++;
    const port = await freeUdpPort();
    // rtp_stream gives every call its own audio port from here up (plus RTCP and the video pair)
    const mediaPort = 40000 + ((this.batch * 2000 + Math.floor(Math.random() * 500) * 2) % 20000);
    const args = [
      `127.0.0.1:${this.sipPort}`, "-sf", holdScenario, "-s", this.dialInCode, "-i", "127.0.0.1", "-p", String(port),
      "-mi", "127.0.0.1", "-mp", String(mediaPort), "-key", "batch", String(this.batch),
      "-r", String(CALL_RATE), "-m", String(count), "-l", String(count), "-nostdin", "-trace_err", "-error_file", join(this.work, `errors-${this.batch}.log`),
    ];
    const child = spawn("sipp", args, { cwd: this.work, stdio: ["ignore", "pipe", "pipe"] });
    this.children.add(child);
    let out = "";
    const keep = (d: Buffer) => {
      out = (out + d.toString()).slice(-4000);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    child.once("exit", (code, signal) => {
      this.children.delete(child);
      if (!this.stopping) this.outputs.push(`sipp batch ${this.batch} exited early (${code ?? signal}): ${out.slice(-600).replace(/\s+/g, " ")}`);
    });
  }

  private stopping = false;

  /** problems seen so far (a sipp that exited while its calls should have been up) */
  problems(): string[] {
    return this.outputs;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.children].map(
        (c) =>
          new Promise<void>((resolve) => {
            c.once("exit", () => resolve());
            c.kill("SIGKILL");
          }),
      ),
    );
  }
}

/** Waits until `target` users of the conference are CONNECTED. */
async function waitConnected(http: GraphQLHttp, conferenceId: string, target: number, callers: Callers): Promise<number> {
  const deadline = performance.now() + JOIN_TIMEOUT_MS;
  for (;;) {
    const d = await http.gql<{ conference: { users: { joinState: string }[] } }>(`query($id: ID!) { conference(id: $id) { users { joinState } } }`, { id: conferenceId });
    const connected = d.conference.users.filter((u) => u.joinState === "CONNECTED").length;
    if (connected >= target) return connected;
    if (performance.now() > deadline) throw new BenchError(`only ${connected} of ${target} participants connected after ${JOIN_TIMEOUT_MS / 1000} s; ${callers.problems().join("; ")}`);
    await sleep(500);
  }
}

async function participantsPhase(work: string, failures: string[]): Promise<{ rows: ParticipantRow[]; focusOutput: string }> {
  const rows: ParticipantRow[] = [];
  const db = sqliteDatabase();
  const sipPort = await freeUdpPort();
  const { focus, inspector } = await startInspectedFocus(db, { SIP_PORT: String(sipPort), RTP_PORT_MIN: String(RTP_PORTS.min), RTP_PORT_MAX: String(RTP_PORTS.max) });
  let callers: Callers | null = null;
  const close = async () => {
    await callers?.stop();
    inspector.close();
    await focus.stop();
    await db.dispose();
  };
  closers.add(close);
  try {
    log(`participants: focus pid ${focus.pid}, SIP on 127.0.0.1:${sipPort}`);
    const http = new GraphQLHttp(focus.url, ADMIN_TOKEN);
    const conf = await createConference(http, "bench memory participants");
    // 3 s of a 440 Hz tone, raw u-law (rtp_stream plays raw files only), looped by every caller
    const pcm = new ToneGenerator([440]).fill(new Int16Array(8000 * 3));
    const ulaw = new Uint8Array(pcm.length);
    encodeUlaw(pcm, ulaw);
    writeFileSync(join(work, "tone.ul"), ulaw);
    const scenario = join(work, "hold-talk.xml");
    writeFileSync(scenario, readFileSync(SCENARIO, "utf8").replaceAll("__HOLD_MS__", String(HOLD_MS)));
    callers = new Callers(work, sipPort, conf.dialInCode);
    await settleBaseline(inspector);
    let current = 0;
    for (const target of PARTICIPANT_STEPS) {
      if (target > current) {
        const t0 = performance.now();
        await callers.add(target - current, scenario);
        await waitConnected(http, conf.id, target, callers);
        log(`participants: ${target} connected (${target - current} joined in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
        current = target;
      }
      await sleep(SETTLE_MS);
      const cpu0 = processCpuSeconds(focus.pid), sipp0 = callers.cpuSeconds(), w0 = performance.now();
      await sleep(CPU_WINDOW_MS);
      const wall = (performance.now() - w0) / 1000;
      const focusCpu = (processCpuSeconds(focus.pid) - cpu0) / wall;
      const sippCpu = (callers.cpuSeconds() - sipp0) / wall;
      const m = await settledMemory(inspector, target);
      rows.push({ ...m, focusCpu, sippCpu });
      log(`  ${target} participants: heap ${mib(m.heapUsed)} MiB, RSS ${mib(m.rss)} MiB, external ${mib(m.external)} MiB, focus CPU ${(focusCpu * 100).toFixed(0)}%, sipp CPU ${(sippCpu * 100).toFixed(0)}%`);
      const problems = callers.problems();
      if (problems.length) throw new BenchError(problems.join("; "));
    }
  } catch (err) {
    const msg = `participants: ${err instanceof Error ? err.message : String(err)}`;
    failures.push(msg);
    log(msg);
  } finally {
    closers.delete(close);
    await close();
  }
  return { rows, focusOutput: focus.output() };
}

// ---- subscribers ----

interface SubscriberRow extends MemoryPoint {
  /** seconds to add this step's subscribers */
  seconds: number;
  added: number;
  /** the subscriber workers' RSS together (the client side, for context) */
  clientRss: number;
}

async function subscribersPhase(failures: string[]): Promise<{ rows: SubscriberRow[]; focusOutput: string }> {
  const rows: SubscriberRow[] = [];
  const db = sqliteDatabase();
  const { focus, inspector } = await startInspectedFocus(db, { SIP_ENABLED: "false" });
  let fleet: SubscriberFleet | null = null;
  const close = async () => {
    if (fleet) failures.push(...(await fleet.close()).map((p) => `subscriber: ${p}`));
    inspector.close();
    await focus.stop();
    await db.dispose();
  };
  closers.add(close);
  try {
    log(`subscribers: focus pid ${focus.pid}`);
    const http = new GraphQLHttp(focus.url, ADMIN_TOKEN);
    const conf = await createConference(http, "bench memory subscribers");
    fleet = new SubscriberFleet({ url: focus.url, token: ADMIN_TOKEN, query: EVENTS_SUBSCRIPTION, variables: { id: conf.id }, workers: FLEET_WORKERS, readyTimeoutMs: 120_000 });
    await fleet.started();
    await settleBaseline(inspector);
    const deadline = performance.now() + SUBSCRIBE_BUDGET_MS;
    for (const target of SUBSCRIBER_STEPS) {
      const r = await fleet.growTo(target, CONNECT_CONCURRENCY, Math.max(0, deadline - performance.now()));
      if (r.added) log(`subscribers: ${fleet.size} with FULL_STATE (${r.added} added in ${r.seconds.toFixed(1)} s)`);
      if (fleet.size < target && r.added === 0) break;
      await sleep(SETTLE_MS);
      const m = await settledMemory(inspector, fleet.size);
      rows.push({ ...m, seconds: r.seconds, added: r.added, clientRss: fleet.rssMiB() });
      log(`  ${fleet.size} subscribers: heap ${mib(m.heapUsed)} MiB, RSS ${mib(m.rss)} MiB, external ${mib(m.external)} MiB`);
      if (fleet.size < target) {
        failures.push(`subscribers: only ${fleet.size} of ${target} connected within the ${SUBSCRIBE_BUDGET_MS / 1000} s budget (a busy machine); the larger sizes were not measured`);
        break;
      }
    }
  } catch (err) {
    const msg = `subscribers: ${err instanceof Error ? err.message : String(err)}`;
    failures.push(msg);
    log(msg);
  } finally {
    closers.delete(close);
    await close();
  }
  return { rows, focusOutput: focus.output() };
}

// ---- main ----

async function main(): Promise<void> {
  const work = mkdtempSync(join(os.tmpdir(), "dcon-bench-memory-"));
  const watchdog = setTimeout(() => {
    process.stderr.write(`[bench:memory] watchdog: still running after ${WATCHDOG_MS / 1000} s; giving up\n`);
    void closeAll().finally(() => process.exit(3));
  }, WATCHDOG_MS);
  watchdog.unref();
  const onSignal = (signal: string) => {
    log(`${signal}: cleaning up`);
    void closeAll().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const failures: string[] = [];
  const load0 = os.loadavg()[0]!;
  let participants: ParticipantRow[] = [];
  let subscribers: SubscriberRow[] = [];
  const outputs: string[] = [];
  try {
    const p = await participantsPhase(work, failures);
    participants = p.rows;
    outputs.push(p.focusOutput);
    const s = await subscribersPhase(failures);
    subscribers = s.rows;
    outputs.push(s.focusOutput);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const warnings = outputs.join("\n").split("\n").filter((l) => /"level":(40|50|60)/.test(l));
  if (warnings.length) failures.push(`the focus logged ${warnings.length} warning/error line(s), e.g. ${warnings[0]!.slice(0, 200)}`);

  // ---- report ----
  const perParticipant = {
    heap: slope(participants.map((r) => ({ x: r.n, y: r.heapUsed }))),
    rss: slope(participants.map((r) => ({ x: r.n, y: r.rss }))),
    external: slope(participants.map((r) => ({ x: r.n, y: r.external }))),
  };
  const perSubscriber = {
    heap: slope(subscribers.map((r) => ({ x: r.n, y: r.heapUsed }))),
    rss: slope(subscribers.map((r) => ({ x: r.n, y: r.rss }))),
    external: slope(subscribers.map((r) => ({ x: r.n, y: r.external }))),
  };
  const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(0)}%` : "-");
  const participantTable = table(
    ["Participants", "Heap used MiB", "RSS MiB", "External MiB", "Focus CPU", "sipp CPU"],
    participants.map((r) => [String(r.n), mib(r.heapUsed), mib(r.rss), mib(r.external), pct(r.focusCpu), pct(r.sippCpu)]),
  );
  const subscriberTable = table(
    ["Subscribers", "Heap used MiB", "RSS MiB", "External MiB", "Added", "Seconds to add", "Subscriptions/s", "Subscriber workers' RSS MiB"],
    subscribers.map((r) => [String(r.n), mib(r.heapUsed), mib(r.rss), mib(r.external), String(r.added), r.added ? r.seconds.toFixed(1) : "-", r.added ? (r.added / r.seconds).toFixed(0) : "-", r.clientRss.toFixed(0)]),
  );
  const slopes = (s: typeof perParticipant) => `heap ${kib(s.heap)} KiB, RSS ${kib(s.rss)} KiB, external ${kib(s.external)} KiB`;
  const notes = [
    `Per SIP participant (audio both ways, least squares over ${participants.map((r) => r.n).join(", ")}): ${slopes(perParticipant)}.`,
    `Per GraphQL subscriber (least squares over ${subscribers.map((r) => r.n).join(", ")}): ${slopes(perSubscriber)}.`,
    ...(perParticipant.rss > 0 ? [] : [`The participants' RSS slope is lost in RSS noise (it moves in steps of megabytes; ${participants.at(-1)?.n ?? 0} participants add only about ${mib(perParticipant.heap * (participants.at(-1)?.n ?? 0))} MiB of heap): read the heap figure.`]),
    ...failures.map((f) => `Problem: ${f}`),
  ];
  const m = machine();
  const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  let sippVersion = "sipp";
  try {
    sippVersion = /SIPp v[^\s]+/.exec(execFileSync("sipp", ["-v"], { encoding: "utf8" }))?.[0]?.replace(/\.$/, "") ?? "sipp";
  } catch (err) {
    // sipp -v exits non-zero on some versions but still prints
    sippVersion = /SIPp v[^\s]+/.exec(String((err as { stdout?: string }).stdout ?? ""))?.[0]?.replace(/\.$/, "") ?? "sipp";
  }
  const body = [
    [
      `- Run: ${date}`,
      ...Object.entries(m).map(([k, v]) => `- ${k}: ${v}`),
      `- Database: SQLite (embedded, WAL, synchronous=NORMAL)`,
      `- Callers: ${sippVersion} (Debian sip-tester), UDP, one conference`,
      `- Other load: 1-minute load average ${load0.toFixed(2)} at start`,
    ].join("\n"),
    notes.map((n) => `- ${n}`).join("\n"),
    `**SIP participants with audio** (every caller streams a looped 440 Hz tone, so all of them talk and every one gets an N-1 mix; CPU over ${CPU_WINDOW_MS / 1000} s at each size: the 20 ms mixer, RTP in and out, and the SIP stack idle)\n\n${participantTable}`,
    `**GraphQL subscribers** (graphql-ws, one WebSocket each, all on one conference's \`conferenceEvents\`, idle while measured; ${CONNECT_CONCURRENCY} connecting at a time)\n\n${subscriberTable}`,
  ].join("\n\n");
  process.stdout.write(`\n${body}\n\n`);

  const intro = `Method: the focus (\`node --import tsx api/src/main.ts\`, LOG_LEVEL=warn, a fresh SQLite database) runs as its own process
with the V8 inspector on a loopback port; through it \`bench/memory.ts\` forces two full garbage collections before each
reading of \`process.memoryUsage()\` (${MEMORY_SAMPLES} readings per size, ${SETTLE_MS / 1000} s after the size was reached: the lowest heap, the median RSS and
external), so the heap figures are live data. RSS also counts memory V8 and the allocator keep after a collection, so it
moves in steps; the per-unit figures are least-squares slopes over all sizes. Participants: sipp places calls with
\`bench/sipp/hold-talk.xml\` (INVITE with PCMU → 200 → ACK → rtp_stream of a u-law tone, looped, and the call held) into
one conference, ${CALL_RATE} calls/s, a new sipp per step; the focus mixes every 20 ms and sends each participant its mix,
so RTP flows both ways (sipp does not read what it receives: the kernel drops it once the socket buffer is full).
Subscribers: a second, fresh focus with SIP off; graphql-ws clients spread over ${FLEET_WORKERS} worker processes
(\`bench/lib/ws-fleet.ts\`), each holding its subscription open with no events flowing. There is no peer comparison.
The machine is shared (see "Other load"): CPU figures especially move by 20-30 % between runs; memory figures much less.`;
  const file = join(repo, "bench", "RESULTS.md");
  writeResults(file, "## Memory (npm run bench:memory)", intro, "### SQLite (`npm run bench:memory`)", "### SQLite", body);
  log(`wrote ${file}`);

  const headlines: Headline[] = [];
  // RSS moves in steps of megabytes: a slope below zero says the step was lost in that noise, not that memory shrank
  const rssText = (bytes: number) => (bytes > 0 ? `${kib(bytes)} KiB` : "within RSS noise");
  if (Number.isFinite(perSubscriber.heap)) headlines.push({ figure: "Focus memory per GraphQL subscriber (heap after GC / RSS)", ours: `${kib(perSubscriber.heap)} KiB / ${rssText(perSubscriber.rss)}` });
  if (Number.isFinite(perParticipant.heap)) headlines.push({ figure: "Focus memory per SIP participant with audio (heap after GC / RSS)", ours: `${kib(perParticipant.heap)} KiB / ${rssText(perParticipant.rss)}` });
  const biggest = participants.at(-1);
  if (biggest && biggest.n > 0) headlines.push({ figure: `Focus CPU with ${biggest.n} SIP participants talking (mixer and RTP)`, ours: pct(biggest.focusCpu) });
  if (headlines.length) writeHeadlines("memory", headlines);
  clearTimeout(watchdog);
  if (participants.length === 0 && subscribers.length === 0) process.exitCode = 1;
}

main().then(
  () => {
    setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref();
  },
  (err) => {
    process.stderr.write(`[bench:memory] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
