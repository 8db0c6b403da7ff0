/**
 * API benchmark (`npm run bench:api [-- --db postgres]`): the focus runs as its own process; this process
 * is the load generator (HTTP mutations with fetch, subscribers as real graphql-ws clients, one WebSocket
 * each). It measures
 *   1. mutation -> subscriber latency with 1, 100 and 1,000 subscribers of one conference's events;
 *   2. mutations per second with 1 and 16 concurrent HTTP clients, without and with 100 subscribers;
 * prints a table and rewrites the "## API" section of bench/RESULTS.md (other sections are kept).
 * Everything runs on 127.0.0.1 with fixed counts and durations, and the script exits by itself.
 */
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { createClient, type Client } from "graphql-ws";
import { machineBusySeconds, processCpuSeconds, processRssMiB, postgresDatabase, repo, sqliteDatabase, startFocusProcess, type Database, type FocusProcess } from "./lib/focus.ts";
import { machine, ms, summarize, table, writeResults } from "./lib/report.ts";
import { GraphQLHttp, MuteToggle } from "./lib/graphql.ts";

// ---- parameters (fixed, so runs compare) ----
const ADMIN_TOKEN = "dcon_bench-admin-secret-0123456789abcdefghijklmn";
const LATENCY_RUNS = [
  { subscribers: 1, warmup: 20, mutations: 200 },
  { subscribers: 100, warmup: 20, mutations: 200 },
  { subscribers: 1000, warmup: 10, mutations: 50 },
];
const THROUGHPUT_CLIENTS = [1, 16];
const THROUGHPUT_SUBSCRIBERS = [0, 100];
const THROUGHPUT_MS = 5_000;
const THROUGHPUT_WARMUP_MS = 500;
const GLOBAL_WARMUP_MUTATIONS = 100;
const CONNECT_CONCURRENCY = 100;
const ROUND_TIMEOUT_MS = 20_000;
const READY_TIMEOUT_MS = 60_000;
const DRAIN_TIMEOUT_MS = 30_000;
const WATCHDOG_MS = 6 * 60_000;

const SUBSCRIPTION = `subscription($id: ID!) { conferenceEvents(conferenceId: $id) {
  kind
  state { version conference { id locked } users { id muted joinState } }
  event { seq type origin at payload }
} }`;

const started = performance.now();
const log = (msg: string) => process.stdout.write(`[bench:api ${((performance.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function parseArgs(argv: string[]): { db: "sqlite" | "postgres" } {
  let db: "sqlite" | "postgres" = "sqlite";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = a.startsWith("--db=") ? a.slice(5) : a === "--db" ? argv[++i] : undefined;
    if (v === undefined) throw new Error(`unknown argument ${a} (usage: bench/api.ts [--db sqlite|postgres])`);
    if (v !== "sqlite" && v !== "postgres") throw new Error(`--db: sqlite or postgres, not ${v}`);
    db = v;
  }
  return { db };
}

// ---- HTTP ----

const mutes = new MuteToggle();
const toggleMute = (http: GraphQLHttp, userId: string) => mutes.toggle(http, userId);

// ---- subscribers ----

interface Round {
  type: string;
  seq: number | null;
  arrivals: Float64Array;
  remaining: number;
  done: () => void;
}

interface Subscriber {
  index: number;
  client: Client;
  /** EVENT items received since subscribing */
  events: number;
  stop: () => void;
}

/** The subscribers of one conference and the mutation round they are waiting for. */
class Hub {
  readonly subs: Subscriber[] = [];
  round: Round | null = null;
  /** seq of the last finished round: late events of older rounds never match a newer one */
  lastSeq = 0;
  readonly problems: string[] = [];

  constructor(readonly url: string, readonly conferenceId: string) {}

  onEvent(sub: Subscriber, event: { seq: number; type: string }, t: number): void {
    sub.events++;
    const r = this.round;
    if (!r || event.type !== r.type || event.seq <= this.lastSeq || sub.index >= r.arrivals.length) return;
    if (r.seq === null) r.seq = event.seq;
    else if (event.seq !== r.seq) return;
    if (!Number.isNaN(r.arrivals[sub.index]!)) return;
    r.arrivals[sub.index] = t;
    if (--r.remaining === 0) r.done();
  }

  problem(msg: string): void {
    if (this.problems.length < 20) this.problems.push(msg);
  }

  /** One graphql-ws client (one WebSocket) subscribed to the conference; resolves at its FULL_STATE. */
  private subscribeOne(): Promise<Subscriber> {
    const client = createClient({
      url: `${this.url.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${ADMIN_TOKEN}` },
      retryAttempts: 0,
      lazy: true,
    });
    const sub: Subscriber = { index: this.subs.length, client, events: 0, stop: () => {} };
    this.subs.push(sub);
    return new Promise<Subscriber>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        if (!ready) reject(new Error(`subscriber ${sub.index}: no FULL_STATE in ${READY_TIMEOUT_MS} ms`));
      }, READY_TIMEOUT_MS);
      sub.stop = client.subscribe<any>({ query: SUBSCRIPTION, variables: { id: this.conferenceId } }, {
        next: (r) => {
          const t = performance.now();
          const item = r.data?.conferenceEvents;
          if (r.errors?.length || !item) {
            this.problem(`subscriber ${sub.index}: ${JSON.stringify(r.errors)}`);
            return;
          }
          if (item.kind === "EVENT") this.onEvent(sub, item.event, t);
          else if (!ready) {
            ready = true;
            clearTimeout(timer);
            resolve(sub);
          }
        },
        error: (err) => {
          const msg = err instanceof Error ? err.message : JSON.stringify(err);
          if (!ready) {
            clearTimeout(timer);
            reject(new Error(`subscriber ${sub.index}: ${msg}`));
          } else this.problem(`subscriber ${sub.index} failed: ${msg}`);
        },
        complete: () => {
          if (ready && !this.closing) this.problem(`subscriber ${sub.index} completed unexpectedly`);
        },
      });
    });
  }

  private closing = false;

  /** Adds subscribers until there are `total`, at most CONNECT_CONCURRENCY connecting at once. */
  async growTo(total: number): Promise<{ added: number; seconds: number }> {
    const t0 = performance.now();
    let toAdd = total - this.subs.length;
    const added = toAdd;
    const worker = async () => {
      while (toAdd > 0) {
        toAdd--;
        await this.subscribeOne();
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, added) }, worker));
    return { added, seconds: (performance.now() - t0) / 1000 };
  }

  async closeAll(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.subs.map(async (s) => {
        try {
          s.stop();
          await s.client.dispose();
        } catch {
          // already closed
        }
      }),
    );
    this.subs.length = 0;
  }
}

// ---- measurements ----

interface LatencyRow {
  subscribers: number;
  mutations: number;
  delivery: ReturnType<typeof summarize>;
  allReceived: ReturnType<typeof summarize>;
  rtt: ReturnType<typeof summarize>;
  missed: number;
  /** focus CPU time / wall time */
  focusCpu: number;
  /** focus CPU milliseconds per measured mutation (the mutation and its fan-out) */
  focusCpuMs: number;
  benchCpu: number;
  focusRss: number;
}

function benchCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Sequential mutations; for each, when every subscriber's EVENT for it arrived (relative to just before sending). */
async function latencyRun(hub: Hub, http: GraphQLHttp, userId: string, warmup: number, count: number, focus: FocusProcess): Promise<LatencyRow> {
  const n = hub.subs.length;
  const delivery: number[] = [];
  const allReceived: number[] = [];
  const rtts: number[] = [];
  let missed = 0;
  let cpu0 = 0, bench0 = 0, wall0 = 0;
  for (let i = 0; i < warmup + count; i++) {
    if (i === warmup) {
      cpu0 = processCpuSeconds(focus.pid);
      bench0 = benchCpuSeconds();
      wall0 = performance.now();
    }
    const type = mutes.nextType(userId);
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    const round: Round = { type, seq: null, arrivals: new Float64Array(n).fill(Number.NaN), remaining: n, done: finish };
    hub.round = round;
    const t0 = performance.now();
    const request = toggleMute(http, userId).then(() => performance.now() - t0);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      done.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), ROUND_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    const rtt = await request;
    hub.round = null;
    if (round.seq !== null) hub.lastSeq = round.seq;
    if (i < warmup) continue;
    rtts.push(rtt);
    let last = 0;
    for (const t of round.arrivals) {
      if (Number.isNaN(t)) continue;
      delivery.push(t - t0);
      last = Math.max(last, t - t0);
    }
    if (timedOut) missed += round.remaining;
    else allReceived.push(last);
  }
  const wall = (performance.now() - wall0) / 1000;
  const focusCpuSeconds = processCpuSeconds(focus.pid) - cpu0;
  return {
    subscribers: n,
    mutations: count,
    delivery: summarize(delivery),
    allReceived: summarize(allReceived),
    rtt: summarize(rtts),
    missed,
    focusCpu: focusCpuSeconds / wall,
    focusCpuMs: (focusCpuSeconds * 1000) / count,
    benchCpu: (benchCpuSeconds() - bench0) / wall,
    focusRss: processRssMiB(focus.pid),
  };
}

interface ThroughputRow {
  clients: number;
  subscribers: number;
  seconds: number;
  mutations: number;
  perSecond: number;
  rtt: ReturnType<typeof summarize>;
  errors: number;
  /** after the last mutation answered: until every subscriber had every event (ms); NaN when none; Infinity when it timed out */
  drainMs: number;
  undelivered: number;
  focusCpu: number;
  focusCpuMs: number;
  benchCpu: number;
}

/** `clients` loops, each toggling its own user's mute for `durationMs`; counts what subscribers receive. */
async function throughputRun(http: GraphQLHttp, users: string[], clients: number, durationMs: number, hub: Hub, focus: FocusProcess): Promise<ThroughputRow> {
  const run = async (duration: number) => {
    const rtts: number[] = [];
    let ok = 0, errors = 0;
    let firstError = null as string | null;
    const start = performance.now();
    const deadline = start + duration;
    await Promise.all(
      users.slice(0, clients).map(async (userId) => {
        while (performance.now() < deadline) {
          const t = performance.now();
          try {
            await toggleMute(http, userId);
            rtts.push(performance.now() - t);
            ok++;
          } catch (err) {
            errors++;
            firstError ??= err instanceof Error ? err.message : String(err);
          }
        }
      }),
    );
    return { rtts, ok, errors, firstError, seconds: (performance.now() - start) / 1000 };
  };
  const drain = async (expected: number[]): Promise<number> => {
    const t0 = performance.now();
    while (hub.subs.some((s, i) => s.events < expected[i]!)) {
      if (performance.now() - t0 > DRAIN_TIMEOUT_MS) return Number.POSITIVE_INFINITY;
      await sleep(1);
    }
    return performance.now() - t0;
  };
  const before = hub.subs.map((s) => s.events);
  const warm = await run(THROUGHPUT_WARMUP_MS);
  await drain(before.map((b) => b + warm.ok));
  const baseline = hub.subs.map((s) => s.events);
  const cpu0 = processCpuSeconds(focus.pid);
  const bench0 = benchCpuSeconds();
  const wall0 = performance.now();
  const r = await run(durationMs);
  const focusCpuSeconds = processCpuSeconds(focus.pid) - cpu0;
  const focusCpu = focusCpuSeconds / ((performance.now() - wall0) / 1000);
  const benchCpu = (benchCpuSeconds() - bench0) / ((performance.now() - wall0) / 1000);
  if (r.firstError) log(`  ${r.errors} mutation errors, first: ${r.firstError.slice(0, 300)}`);
  const drainMs = hub.subs.length ? await drain(baseline.map((b) => b + r.ok)) : Number.NaN;
  const undelivered = hub.subs.reduce((sum, s, i) => sum + Math.max(0, baseline[i]! + r.ok - s.events), 0);
  return {
    clients,
    subscribers: hub.subs.length,
    seconds: r.seconds,
    mutations: r.ok,
    perSecond: r.ok / r.seconds,
    rtt: summarize(r.rtts),
    errors: r.errors,
    drainMs,
    undelivered,
    focusCpu,
    focusCpuMs: (focusCpuSeconds * 1000) / Math.max(1, r.ok),
    benchCpu,
  };
}

interface RampRow {
  conference: string;
  added: number;
  total: number;
  seconds: number;
  focusRss: number;
}

// ---- main ----

async function main(): Promise<void> {
  const { db: dbKind } = parseArgs(process.argv.slice(2));
  const watchdog = setTimeout(() => {
    process.stderr.write(`[bench:api] watchdog: still running after ${WATCHDOG_MS / 1000} s; giving up\n`);
    void cleanup().finally(() => process.exit(3));
  }, WATCHDOG_MS);
  watchdog.unref();

  let database: Database | null = null;
  let focus: FocusProcess | null = null;
  const hubs: Hub[] = [];
  let cleaned: Promise<void> | null = null;
  const cleanup = () =>
    (cleaned ??= (async () => {
      const t = performance.now();
      for (const h of hubs) await h.closeAll().catch(() => {});
      const t1 = performance.now();
      await focus?.stop().catch(() => {});
      const t2 = performance.now();
      await database?.dispose().catch((err) => log(`database cleanup failed: ${err}`));
      log(`cleanup: subscribers ${ms(t1 - t)} ms, focus ${ms(t2 - t1)} ms, database ${ms(performance.now() - t2)} ms`);
    })());
  const onSignal = (signal: string) => {
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const latency: LatencyRow[] = [];
  const throughput: ThroughputRow[] = [];
  const ramps: RampRow[] = [];
  const failures: string[] = [];
  let focusOutput = "";
  const load0 = os.loadavg()[0]!;
  let busy0 = Number.NaN, focusCpu0 = Number.NaN, bench0 = Number.NaN, wall0 = Number.NaN, otherCores = Number.NaN;
  try {
    log(`database: ${dbKind}`);
    database = dbKind === "postgres" ? await postgresDatabase() : sqliteDatabase();
    const t0 = performance.now();
    focus = await startFocusProcess({ DATABASE_URL: database.url, ADMIN_TOKEN, ISLAND: "bench.local" });
    log(`focus pid ${focus.pid} on ${focus.url} (started in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${database.label})`);
    const http = new GraphQLHttp(focus.url, ADMIN_TOKEN);
    busy0 = machineBusySeconds();
    focusCpu0 = processCpuSeconds(focus.pid);
    bench0 = benchCpuSeconds();
    wall0 = performance.now();

    const users = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ entity: `sip:${tag}-${i}@bench.local`, displayName: `${tag} ${i}` }));
    const create = async (subject: string, n: number, tag: string) => {
      const d = await http.gql<{ createConference: { id: string; status: string; users: { id: string }[] } }>(
        `mutation($input: ConferenceInput!) { createConference(input: $input) { id status users { id } } }`,
        { input: { subject, durationMin: 24 * 60, maxUsers: 1000, users: users(n, tag) } },
      );
      return { id: d.createConference.id, users: d.createConference.users.map((u) => u.id) };
    };
    const latConf = await create("bench latency", 1, "lat");
    const tpConf = await create("bench throughput", Math.max(...THROUGHPUT_CLIENTS), "tp");

    log(`warm-up: ${GLOBAL_WARMUP_MUTATIONS} sequential mutations`);
    for (let i = 0; i < GLOBAL_WARMUP_MUTATIONS; i++) await toggleMute(http, tpConf.users[i % tpConf.users.length]!);

    // ---- mutations per second, without and then with subscribers ----
    const tpHub = new Hub(focus.url, tpConf.id);
    hubs.push(tpHub);
    for (const subscribers of THROUGHPUT_SUBSCRIBERS) {
      try {
        if (subscribers > tpHub.subs.length) {
          const r = await tpHub.growTo(subscribers);
          ramps.push({ conference: "throughput", added: r.added, total: tpHub.subs.length, seconds: r.seconds, focusRss: processRssMiB(focus.pid) });
          log(`subscribers: ${tpHub.subs.length} with FULL_STATE (${r.added} added in ${r.seconds.toFixed(2)} s)`);
        }
        for (const clients of THROUGHPUT_CLIENTS) {
          log(`throughput: ${clients} client(s), ${subscribers} subscribers, ${THROUGHPUT_MS / 1000} s ...`);
          const row = await throughputRun(http, tpConf.users, clients, THROUGHPUT_MS, tpHub, focus);
          throughput.push(row);
          log(
            `  ${row.perSecond.toFixed(0)} mutations/s, rtt median ${ms(row.rtt.median)} ms p99 ${ms(row.rtt.p99)} ms, errors ${row.errors}` +
              (subscribers ? `, fan-out drained ${ms(row.drainMs)} ms after the last answer, undelivered ${row.undelivered}` : "") +
              `, focus CPU ${(row.focusCpu * 100).toFixed(0)}%`,
          );
        }
      } catch (err) {
        const msg = `throughput with ${subscribers} subscribers failed: ${err instanceof Error ? err.message : String(err)}`;
        failures.push(msg);
        log(msg);
      }
    }
    await tpHub.closeAll();

    // ---- mutation -> subscriber latency, growing one conference's subscribers ----
    const latHub = new Hub(focus.url, latConf.id);
    hubs.push(latHub);
    const target = latConf.users[0]!;
    for (const spec of LATENCY_RUNS) {
      try {
        const r = await latHub.growTo(spec.subscribers);
        ramps.push({ conference: "latency", added: r.added, total: latHub.subs.length, seconds: r.seconds, focusRss: processRssMiB(focus.pid) });
        log(`subscribers: ${latHub.subs.length} with FULL_STATE (${r.added} added in ${r.seconds.toFixed(2)} s)`);
        log(`latency: ${spec.subscribers} subscribers, ${spec.warmup} warm-up + ${spec.mutations} mutations ...`);
        const row = await latencyRun(latHub, http, target, spec.warmup, spec.mutations, focus);
        latency.push(row);
        log(
          `  per subscriber median ${ms(row.delivery.median)} ms p99 ${ms(row.delivery.p99)} ms max ${ms(row.delivery.max)} ms; ` +
            `all received median ${ms(row.allReceived.median)} ms p99 ${ms(row.allReceived.p99)} ms; missed ${row.missed}; focus CPU ${(row.focusCpu * 100).toFixed(0)}%`,
        );
      } catch (err) {
        const msg = `latency with ${spec.subscribers} subscribers failed: ${err instanceof Error ? err.message : String(err)}`;
        failures.push(msg);
        log(msg);
        break;
      }
    }
    await latHub.closeAll();
    for (const h of hubs) for (const p of h.problems) failures.push(p);
    // CPU that neither the focus nor this process used while measuring: other load on the machine.
    const other = machineBusySeconds() - busy0 - (processCpuSeconds(focus.pid) - focusCpu0) - (benchCpuSeconds() - bench0);
    otherCores = other / ((performance.now() - wall0) / 1000);
    log(`other processes kept ${otherCores.toFixed(2)} cores busy on average during the measurements (1-minute load average at start ${load0.toFixed(2)})`);
  } finally {
    log("stopping the focus");
    const t0 = performance.now();
    await cleanup();
    focusOutput = focus?.output() ?? "";
    log(`stopped in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  const warnings = focusOutput.split("\n").filter((l) => /"level":(40|50|60)/.test(l));
  if (warnings.length) {
    log(`the focus logged ${warnings.length} warning/error line(s); first: ${warnings[0]!.slice(0, 400)}`);
    failures.push(`the focus logged ${warnings.length} warning/error line(s), e.g. ${warnings[0]!.slice(0, 200)}`);
  }

  // ---- report ----
  const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(0)}%` : "-");
  const latencyTable = table(
    ["Subscribers", "Mutations", "Samples", "Median ms", "p99 ms", "Max ms", "All received: median ms", "p99 ms", "max ms", "Mutation RTT median ms", "Missed", "Focus CPU", "Focus CPU ms/mutation", "Bench CPU", "Focus RSS MiB"],
    latency.map((r) => [
      String(r.subscribers), String(r.mutations), String(r.delivery.n),
      ms(r.delivery.median), ms(r.delivery.p99), ms(r.delivery.max),
      ms(r.allReceived.median), ms(r.allReceived.p99), ms(r.allReceived.max),
      ms(r.rtt.median), String(r.missed), pct(r.focusCpu), ms(r.focusCpuMs), pct(r.benchCpu), r.focusRss.toFixed(0),
    ]),
  );
  const throughputTable = table(
    ["HTTP clients", "Subscribers", "Seconds", "Mutations", "Mutations/s", "RTT median ms", "RTT p99 ms", "Errors", "Fan-out drained after ms", "Undelivered", "Focus CPU", "Focus CPU ms/mutation", "Bench CPU"],
    throughput.map((r) => [
      String(r.clients), String(r.subscribers), r.seconds.toFixed(1), String(r.mutations), r.perSecond.toFixed(0),
      ms(r.rtt.median), ms(r.rtt.p99), String(r.errors),
      r.subscribers ? (Number.isFinite(r.drainMs) ? ms(r.drainMs) : `> ${DRAIN_TIMEOUT_MS}`) : "-",
      r.subscribers ? String(r.undelivered) : "-", pct(r.focusCpu), ms(r.focusCpuMs), pct(r.benchCpu),
    ]),
  );
  const rampTable = table(
    ["Conference", "Subscribers added", "Total", "Seconds", "Subscriptions/s", "Focus RSS after MiB"],
    ramps.map((r) => [r.conference, String(r.added), String(r.total), r.seconds.toFixed(2), (r.added / r.seconds).toFixed(0), r.focusRss.toFixed(0)]),
  );

  // Fan-out cost: how much longer the last subscriber waits per extra subscriber.
  const notes: string[] = [];
  const one = latency.find((r) => r.subscribers === 1);
  for (const r of latency.filter((x) => x.subscribers > 1)) {
    if (one && Number.isFinite(r.allReceived.median)) {
      const extra = r.subscribers - 1;
      const cpuPerSub = ((r.focusCpuMs - one.focusCpuMs) / extra) * 1000;
      notes.push(
        `${r.subscribers} subscribers: the last one has the event ${ms(r.allReceived.median - one.allReceived.median)} ms later than a lone subscriber (medians), ` +
          `and the focus spends ${ms(r.focusCpuMs - one.focusCpuMs)} ms more CPU per mutation: about ${cpuPerSub.toFixed(0)} µs of focus CPU per subscriber per event. ` +
          `The mutation's own HTTP answer went from ${ms(one.rtt.median)} to ${ms(r.rtt.median)} ms (median).`,
      );
    }
  }
  if (otherCores > 0.25) notes.push(`Warning: other processes used ${otherCores.toFixed(2)} cores on average during this run; the figures are disturbed by them.`);
  for (const f of failures) notes.push(`Problem: ${f}`);

  const m = machine();
  const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const body = [
    [
      `- Run: ${date}`,
      ...Object.entries(m).map(([k, v]) => `- ${k}: ${v}`),
      `- Database: ${database!.label}`,
      `- Other load: 1-minute load average ${load0.toFixed(2)} at start; other processes kept ${Number.isFinite(otherCores) ? otherCores.toFixed(2) : "?"} cores busy on average while measuring`,
    ].join("\n"),
    `**Mutation → subscriber latency** (one conference; sequential muteUser/unmuteUser over HTTP; time from just before sending to each subscriber's EVENT; "all received" = until the last subscriber had it)\n\n${latencyTable}`,
    `**Mutations per second** (each HTTP client toggles its own user's mute in a loop for ${THROUGHPUT_MS / 1000} s, all in one conference; subscribers on that conference)\n\n${throughputTable}`,
    `**Subscribing** (graphql-ws connect + subscribe until FULL_STATE, ${CONNECT_CONCURRENCY} at a time)\n\n${rampTable}`,
    ...(notes.length ? [notes.map((n) => `- ${n}`).join("\n")] : []),
  ].join("\n\n");

  process.stdout.write(`\n${body}\n\n`);

  const intro = `Method: the focus (\`node --import tsx api/src/main.ts\`, LOG_LEVEL=warn) runs as its own process on 127.0.0.1 with a fresh
database; \`bench/api.ts\` is the load generator: HTTP mutations with fetch (keep-alive) and every subscriber a separate
graphql-ws client with its own WebSocket, subscribed to \`conferenceEvents\` (event with its payload). Latency: after every
subscriber has its FULL_STATE, mutations are sent one at a time (after warm-up); the next one goes only when the HTTP
answer and every subscriber's EVENT have arrived. Percentiles are nearest-rank over all (subscriber, mutation) samples.
Throughput: N concurrent clients each toggle their own user's mute for a fixed time; "fan-out drained after" is the time
from the last HTTP answer until every subscriber had every event. CPU columns are CPU time / wall time (100% = one core).
Both processes share the machine's cores, so the load generator's own work is part of the figures at 1,000 subscribers.
Runs on small shared VMs vary by up to ~30% (throughput especially): rerun before reading much into small differences.`;
  const file = join(repo, "bench", "RESULTS.md");
  const heading = dbKind === "postgres" ? "### PostgreSQL" : "### SQLite";
  writeResults(file, "## API (npm run bench:api)", intro, `${heading} (\`npm run bench:api${dbKind === "postgres" ? " -- --db postgres" : ""}\`)`, heading, body);
  log(`wrote ${file}`);
  clearTimeout(watchdog);
  if (failures.length && latency.length === 0 && throughput.length === 0) process.exitCode = 1;
}

main().then(
  () => {
    // Anything still holding the loop (a stray socket) must not keep the benchmark alive.
    setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref();
  },
  (err) => {
    process.stderr.write(`[bench:api] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
