/**
 * API benchmark (`npm run bench:api [-- --db postgres]`): the focus runs as its own process; this process
 * is the load generator (HTTP mutations with fetch) and its subscribers are real graphql-ws clients, one
 * WebSocket each, spread over a few worker processes (bench/lib/ws-fleet.ts) that stamp every EVENT on the
 * machine-wide monotonic clock. It measures
 *   1. mutation -> subscriber latency and fan-out time with 1, 100, 1,000 and 10,000 subscribers of one
 *      conference's events, with the focus' CPU and RSS and the subscribe rate while growing to them;
 *   2. mutations per second with 1 and 16 concurrent HTTP clients, without and with 100 subscribers;
 * prints a table, rewrites the "## API" section of bench/RESULTS.md (other sections are kept) and records
 * its headline figures (bench/lib/headlines.ts). Everything runs on 127.0.0.1 with fixed counts, and the
 * script exits by itself.
 */
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { machineBusySeconds, processCpuSeconds, processRssMiB, postgresDatabase, repo, sqliteDatabase, startFocusProcess, type Database, type FocusProcess } from "./lib/focus.ts";
import { machine, ms, summarize, table, writeResults, type Summary } from "./lib/report.ts";
import { EVENTS_SUBSCRIPTION, GraphQLHttp, MuteToggle } from "./lib/graphql.ts";
import { writeHeadlines, type Headline } from "./lib/headlines.ts";
import { monotonicMs, SubscriberFleet } from "./lib/ws-fleet.ts";

// ---- parameters (fixed, so runs compare) ----
const ADMIN_TOKEN = "dcon_bench-admin-secret-0123456789abcdefghijklmn";
const LATENCY_RUNS = [
  { subscribers: 1, warmup: 20, mutations: 200 },
  { subscribers: 100, warmup: 20, mutations: 200 },
  { subscribers: 1000, warmup: 10, mutations: 50 },
  { subscribers: 10_000, warmup: 5, mutations: 30 },
];
const THROUGHPUT_CLIENTS = [1, 16];
const THROUGHPUT_SUBSCRIBERS = [0, 100];
const THROUGHPUT_MS = 5_000;
const THROUGHPUT_WARMUP_MS = 500;
const GLOBAL_WARMUP_MUTATIONS = 100;
/** subscribers connecting at once over the whole fleet */
const CONNECT_CONCURRENCY = 100;
/** worker processes holding the subscribers: 2,500 sockets each at 10,000 */
const FLEET_WORKERS = 4;
const ROUND_TIMEOUT_MS = 30_000;
const READY_TIMEOUT_MS = 120_000;
const DRAIN_TIMEOUT_MS = 30_000;
/** no subscriber is started after this long into one step's growth (a busy machine measures fewer, and says so) */
const RAMP_BUDGET_MS = 240_000;
const WATCHDOG_MS = 10 * 60_000;


const started = performance.now();
const log = (msg: string) => process.stdout.write(`[bench:api ${((performance.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);

const USAGE = "usage: bench/api.ts [--db sqlite|postgres] [--max-subscribers N]";

/** `--max-subscribers N` is a smoke run: latency only up to N subscribers, and nothing written to RESULTS.md. */
function parseArgs(argv: string[]): { db: "sqlite" | "postgres"; maxSubscribers: number | null } {
  let db: "sqlite" | "postgres" = "sqlite";
  let maxSubscribers: number | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i] ?? "";
    if (flag === "--db") {
      const v = value();
      if (v !== "sqlite" && v !== "postgres") throw new Error(`--db: sqlite or postgres, not ${v}`);
      db = v;
    } else if (flag === "--max-subscribers") {
      const v = Number(value());
      if (!Number.isInteger(v) || v < 1) throw new Error(`--max-subscribers: a positive integer (${USAGE})`);
      maxSubscribers = v;
    } else throw new Error(`unknown argument ${a} (${USAGE})`);
  }
  return { db, maxSubscribers };
}

// ---- HTTP ----

const mutes = new MuteToggle();
const toggleMute = (http: GraphQLHttp, userId: string) => mutes.toggle(http, userId);

// ---- subscribers ----

const liveFleets = new Set<SubscriberFleet>();
/** CPU seconds of fleets already closed (their processes are gone, so /proc no longer has them) */
let retiredFleetCpu = 0;

/** Subscribers of one conference, spread over FLEET_WORKERS processes (bench/lib/ws-fleet.ts). */
function newFleet(url: string, conferenceId: string): SubscriberFleet {
  const fleet = new SubscriberFleet({ url, token: ADMIN_TOKEN, query: EVENTS_SUBSCRIPTION, variables: { id: conferenceId }, workers: FLEET_WORKERS, readyTimeoutMs: READY_TIMEOUT_MS });
  liveFleets.add(fleet);
  return fleet;
}

/** Closes a fleet, keeping its CPU time in the load generator's account; resolves to its problems. */
async function retire(fleet: SubscriberFleet): Promise<string[]> {
  if (!liveFleets.delete(fleet)) return [];
  const cpu = fleet.cpuSeconds();
  if (Number.isFinite(cpu)) retiredFleetCpu += cpu;
  return fleet.close().catch((err) => [`closing subscribers: ${err instanceof Error ? err.message : String(err)}`]);
}

/** CPU seconds of the whole load generator: this process and every subscriber worker, live or closed. */
function benchCpuSeconds(): number {
  const u = process.cpuUsage();
  let fleets = retiredFleetCpu;
  for (const f of liveFleets) fleets += f.cpuSeconds();
  return (u.user + u.system) / 1e6 + fleets;
}

// ---- measurements ----

interface LatencyRow {
  subscribers: number;
  mutations: number;
  /** every (subscriber, mutation) sample: send -> that subscriber's EVENT */
  delivery: Summary;
  /** per mutation: send -> the last subscriber's EVENT (mutations every subscriber got) */
  allReceived: Summary;
  /** per mutation: the first subscriber's EVENT -> the last one's: how long the fan-out itself takes */
  spread: Summary;
  rtt: Summary;
  missed: number;
  /** focus CPU time / wall time */
  focusCpu: number;
  /** focus CPU milliseconds per measured mutation (the mutation and its fan-out) */
  focusCpuMs: number;
  /** this process and the fleet's workers: CPU time / wall time */
  benchCpu: number;
  focusRss: number;
}

/** Sequential mutations; for each, when every subscriber's EVENT for it arrived (relative to just before sending). */
async function latencyRun(fleet: SubscriberFleet, http: GraphQLHttp, userId: string, warmup: number, count: number, focus: FocusProcess): Promise<LatencyRow> {
  const delivery: number[] = [];
  const allReceived: number[] = [];
  const spread: number[] = [];
  const rtts: number[] = [];
  let missed = 0;
  let lastSeq = 0;
  let cpu0 = 0, bench0 = 0, wall0 = 0;
  for (let i = 0; i < warmup + count; i++) {
    if (i === warmup) {
      cpu0 = processCpuSeconds(focus.pid);
      bench0 = benchCpuSeconds();
      wall0 = performance.now();
    }
    // every worker is waiting for this event before it is caused, so none can arrive unseen
    await fleet.arm(mutes.nextType(userId), lastSeq);
    const t0 = monotonicMs();
    const request = toggleMute(http, userId).then(() => monotonicMs() - t0);
    const round = await fleet.collect(ROUND_TIMEOUT_MS);
    const rtt = await request;
    if (round.seq !== null) lastSeq = round.seq;
    if (i < warmup) continue;
    rtts.push(rtt);
    let first = Number.POSITIVE_INFINITY, last = Number.NEGATIVE_INFINITY, lost = 0;
    for (const t of round.arrivals) {
      if (Number.isNaN(t)) {
        lost++;
        continue;
      }
      delivery.push(t - t0);
      first = Math.min(first, t);
      last = Math.max(last, t);
    }
    missed += lost;
    if (lost === 0) {
      allReceived.push(last - t0);
      spread.push(last - first);
    }
  }
  const wall = (performance.now() - wall0) / 1000;
  const focusCpuSeconds = processCpuSeconds(focus.pid) - cpu0;
  return {
    subscribers: fleet.size,
    mutations: count,
    delivery: summarize(delivery),
    allReceived: summarize(allReceived),
    spread: summarize(spread),
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
  rtt: Summary;
  errors: number;
  /** after the last mutation answered: until every subscriber had every event (ms); NaN when none; Infinity when it timed out */
  drainMs: number;
  undelivered: number;
  focusCpu: number;
  focusCpuMs: number;
  benchCpu: number;
}

/** `clients` loops, each toggling its own user's mute for `durationMs`; counts what subscribers receive. */
async function throughputRun(http: GraphQLHttp, users: string[], clients: number, durationMs: number, fleet: SubscriberFleet, focus: FocusProcess): Promise<ThroughputRow> {
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
    return { rtts, ok, errors, firstError, seconds: (performance.now() - start) / 1000, endedAt: monotonicMs() };
  };
  await fleet.mark();
  const warm = await run(THROUGHPUT_WARMUP_MS);
  await fleet.drain(warm.ok, DRAIN_TIMEOUT_MS);
  await fleet.mark();
  const cpu0 = processCpuSeconds(focus.pid);
  const bench0 = benchCpuSeconds();
  const wall0 = performance.now();
  const r = await run(durationMs);
  const wall = (performance.now() - wall0) / 1000;
  const focusCpuSeconds = processCpuSeconds(focus.pid) - cpu0;
  const benchCpu = (benchCpuSeconds() - bench0) / wall;
  if (r.firstError) log(`  ${r.errors} mutation errors, first: ${r.firstError.slice(0, 300)}`);
  let drainMs = Number.NaN, undelivered = 0;
  if (fleet.size) {
    const d = await fleet.drain(r.ok, DRAIN_TIMEOUT_MS);
    drainMs = Number.isNaN(d.doneAt) ? Number.POSITIVE_INFINITY : Math.max(0, d.doneAt - r.endedAt);
    undelivered = d.undelivered;
  }
  return {
    clients,
    subscribers: fleet.size,
    seconds: r.seconds,
    mutations: r.ok,
    perSecond: r.ok / r.seconds,
    rtt: summarize(r.rtts),
    errors: r.errors,
    drainMs,
    undelivered,
    focusCpu: focusCpuSeconds / wall,
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
  /** the subscriber workers' RSS together */
  fleetRss?: number;
  /** focus CPU milliseconds per subscription added (connect, subscribe, FULL_STATE) */
  focusCpuMs?: number;
}

// ---- main ----

async function main(): Promise<void> {
  const { db: dbKind, maxSubscribers } = parseArgs(process.argv.slice(2));
  const latencyRuns = LATENCY_RUNS.filter((r) => maxSubscribers === null || r.subscribers <= maxSubscribers);
  const watchdog = setTimeout(() => {
    process.stderr.write(`[bench:api] watchdog: still running after ${WATCHDOG_MS / 1000} s; giving up\n`);
    void cleanup().finally(() => process.exit(3));
  }, WATCHDOG_MS);
  watchdog.unref();

  let database: Database | null = null;
  let focus: FocusProcess | null = null;
  let cleaned: Promise<void> | null = null;
  const cleanup = () =>
    (cleaned ??= (async () => {
      const t = performance.now();
      for (const f of [...liveFleets]) failures.push(...(await retire(f)));
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
    const tpFleet = newFleet(focus.url, tpConf.id);
    await tpFleet.started();
    for (const subscribers of THROUGHPUT_SUBSCRIBERS) {
      try {
        if (subscribers > tpFleet.size) {
          const r = await tpFleet.growTo(subscribers, CONNECT_CONCURRENCY);
          ramps.push({ conference: "throughput", added: r.added, total: tpFleet.size, seconds: r.seconds, focusRss: processRssMiB(focus.pid) });
          log(`subscribers: ${tpFleet.size} with FULL_STATE (${r.added} added in ${r.seconds.toFixed(2)} s)`);
        }
        for (const clients of THROUGHPUT_CLIENTS) {
          log(`throughput: ${clients} client(s), ${subscribers} subscribers, ${THROUGHPUT_MS / 1000} s ...`);
          const row = await throughputRun(http, tpConf.users, clients, THROUGHPUT_MS, tpFleet, focus);
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
    failures.push(...(await retire(tpFleet)));

    // ---- mutation -> subscriber latency, growing one conference's subscribers ----
    const latFleet = newFleet(focus.url, latConf.id);
    await latFleet.started();
    const target = latConf.users[0]!;
    for (const spec of latencyRuns) {
      try {
        const cpu0 = processCpuSeconds(focus.pid);
        const r = await latFleet.growTo(spec.subscribers, CONNECT_CONCURRENCY, RAMP_BUDGET_MS);
        const focusCpuMs = ((processCpuSeconds(focus.pid) - cpu0) * 1000) / Math.max(1, r.added);
        ramps.push({ conference: "latency", added: r.added, total: latFleet.size, seconds: r.seconds, focusRss: processRssMiB(focus.pid), fleetRss: latFleet.rssMiB(), focusCpuMs });
        log(`subscribers: ${latFleet.size} with FULL_STATE (${r.added} added in ${r.seconds.toFixed(2)} s, focus CPU ${ms(focusCpuMs)} ms each, focus RSS ${processRssMiB(focus.pid).toFixed(0)} MiB)`);
        const short = latFleet.size < spec.subscribers;
        if (short) {
          // a busy machine: measure with what the budget allowed, under its real count, and grow no further
          failures.push(`only ${latFleet.size} of ${spec.subscribers} subscribers connected within the ${RAMP_BUDGET_MS / 1000} s budget; measured with ${latFleet.size}`);
        }
        log(`latency: ${latFleet.size} subscribers, ${spec.warmup} warm-up + ${spec.mutations} mutations ...`);
        const row = await latencyRun(latFleet, http, target, spec.warmup, spec.mutations, focus);
        latency.push(row);
        log(
          `  per subscriber median ${ms(row.delivery.median)} ms p99 ${ms(row.delivery.p99)} ms max ${ms(row.delivery.max)} ms; ` +
            `all received median ${ms(row.allReceived.median)} ms p99 ${ms(row.allReceived.p99)} ms; missed ${row.missed}; focus CPU ${(row.focusCpu * 100).toFixed(0)}%`,
        );
        if (short) break;
      } catch (err) {
        const msg = `latency with ${spec.subscribers} subscribers failed: ${err instanceof Error ? err.message : String(err)}`;
        failures.push(msg);
        log(msg);
        break;
      }
    }
    failures.push(...(await retire(latFleet)));
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
    ["Subscribers", "Mutations", "Samples", "Median ms", "p99 ms", "Max ms", "All received: median ms", "p99 ms", "max ms", "Fan-out first→last: median ms", "p99 ms", "Mutation RTT median ms", "Missed", "Focus CPU", "Focus CPU ms/mutation", "Load generator CPU", "Focus RSS MiB"],
    latency.map((r) => [
      String(r.subscribers), String(r.mutations), String(r.delivery.n),
      ms(r.delivery.median), ms(r.delivery.p99), ms(r.delivery.max),
      ms(r.allReceived.median), ms(r.allReceived.p99), ms(r.allReceived.max),
      ms(r.spread.median), ms(r.spread.p99),
      ms(r.rtt.median), String(r.missed), pct(r.focusCpu), ms(r.focusCpuMs), pct(r.benchCpu), r.focusRss.toFixed(0),
    ]),
  );
  const throughputTable = table(
    ["HTTP clients", "Subscribers", "Seconds", "Mutations", "Mutations/s", "RTT median ms", "RTT p99 ms", "Errors", "Fan-out drained after ms", "Undelivered", "Focus CPU", "Focus CPU ms/mutation", "Load generator CPU"],
    throughput.map((r) => [
      String(r.clients), String(r.subscribers), r.seconds.toFixed(1), String(r.mutations), r.perSecond.toFixed(0),
      ms(r.rtt.median), ms(r.rtt.p99), String(r.errors),
      r.subscribers ? (Number.isFinite(r.drainMs) ? ms(r.drainMs) : `> ${DRAIN_TIMEOUT_MS}`) : "-",
      r.subscribers ? String(r.undelivered) : "-", pct(r.focusCpu), ms(r.focusCpuMs), pct(r.benchCpu),
    ]),
  );
  const rampTable = table(
    ["Conference", "Subscribers added", "Total", "Seconds", "Subscriptions/s", "Focus CPU ms/subscription", "Focus RSS after MiB", "Subscriber workers' RSS MiB"],
    ramps.map((r) => [
      r.conference, String(r.added), String(r.total), r.seconds.toFixed(2), (r.added / r.seconds).toFixed(0),
      r.focusCpuMs === undefined ? "-" : ms(r.focusCpuMs), r.focusRss.toFixed(0), r.fleetRss === undefined ? "-" : r.fleetRss.toFixed(0),
    ]),
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
    `**Mutation → subscriber latency** (one conference; sequential muteUser/unmuteUser over HTTP; time from just before sending to each subscriber's EVENT; "all received" = until the last subscriber had it; "fan-out" = from the first subscriber's EVENT to the last one's; load generator CPU = this process and the ${FLEET_WORKERS} subscriber workers)\n\n${latencyTable}`,
    `**Mutations per second** (each HTTP client toggles its own user's mute in a loop for ${THROUGHPUT_MS / 1000} s, all in one conference; subscribers on that conference)\n\n${throughputTable}`,
    `**Subscribing** (graphql-ws connect + subscribe until FULL_STATE, ${CONNECT_CONCURRENCY} at a time over ${FLEET_WORKERS} worker processes)\n\n${rampTable}`,
    ...(notes.length ? [notes.map((n) => `- ${n}`).join("\n")] : []),
  ].join("\n\n");

  process.stdout.write(`\n${body}\n\n`);

  const intro = `Method: the focus (\`node --import tsx api/src/main.ts\`, LOG_LEVEL=warn) runs as its own process on 127.0.0.1 with a fresh
database; \`bench/api.ts\` is the load generator: HTTP mutations with fetch (keep-alive) from its own process, and every
subscriber a separate graphql-ws client with its own WebSocket, subscribed to \`conferenceEvents\` (event with its payload),
spread evenly over ${FLEET_WORKERS} worker processes (\`bench/lib/ws-fleet.ts\`) so that 10,000 sockets do not queue behind one
event loop. A worker stamps each EVENT with the monotonic clock when its callback runs; that clock is one per machine on
Linux, so the worker's receive time minus the main process' send time is the latency with no clock synchronisation.
Latency: after every subscriber has its FULL_STATE, mutations are sent one at a time (after warm-up); before each, every
worker is told which event to expect, and the next goes only when the HTTP answer and every subscriber's EVENT have
arrived. Percentiles are nearest-rank over all (subscriber, mutation) samples, or over mutations for "all received" and
"fan-out". Throughput: N concurrent clients each toggle their own user's mute for a fixed time; "fan-out drained after" is
the time from the last HTTP answer until every subscriber had every event. CPU columns are CPU time / wall time (100% = one
core). The focus and the load generator share the machine's two cores: from 1,000 subscribers on the load generator's
own receiving is part of the figures (see its CPU column), so they are an upper bound for the focus alone. Runs on small
shared VMs vary by up to ~30% (throughput especially): rerun before reading much into small differences.`;
  if (maxSubscribers !== null) {
    log(`smoke run (--max-subscribers ${maxSubscribers}): RESULTS.md and the headlines left as they were`);
    clearTimeout(watchdog);
    return;
  }
  const file = join(repo, "bench", "RESULTS.md");
  const heading = dbKind === "postgres" ? "### PostgreSQL" : "### SQLite";
  writeResults(file, "## API (npm run bench:api)", intro, `${heading} (\`npm run bench:api${dbKind === "postgres" ? " -- --db postgres" : ""}\`)`, heading, body);
  log(`wrote ${file}`);
  const headlines = apiHeadlines(latency, throughput, ramps);
  if (headlines.length) writeHeadlines("api", headlines, dbKind === "postgres" ? "PostgreSQL" : "SQLite");
  clearTimeout(watchdog);
  if (failures.length && latency.length === 0 && throughput.length === 0) process.exitCode = 1;
}

/** The few figures the summary at the top of RESULTS.md shows (no peer: nothing else speaks this API). */
function apiHeadlines(latency: LatencyRow[], throughput: ThroughputRow[], ramps: RampRow[]): Headline[] {
  const out: Headline[] = [];
  for (const n of [1000, 10_000]) {
    const r = latency.find((x) => x.subscribers === n);
    if (!r || !Number.isFinite(r.allReceived.median)) continue;
    out.push({
      figure: `Mutation → event at every one of ${n.toLocaleString("en")} subscribers (median; per subscriber median / p99)`,
      ours: `${ms(r.allReceived.median)} ms (${ms(r.delivery.median)} / ${ms(r.delivery.p99)} ms)`,
    });
  }
  for (const clients of THROUGHPUT_CLIENTS) {
    const r = throughput.find((x) => x.clients === clients && x.subscribers === 0);
    if (r) out.push({ figure: `Mutations/s, ${clients} HTTP client${clients > 1 ? "s" : ""}, no subscribers`, ours: `${r.perSecond.toFixed(0)}/s` });
  }
  const big = ramps.filter((r) => r.conference === "latency").sort((a, b) => b.added - a.added)[0];
  if (big) out.push({ figure: `Subscribe rate (graphql-ws connect + FULL_STATE, growing to ${big.total.toLocaleString("en")})`, ours: `${(big.added / big.seconds).toFixed(0)}/s` });
  return out;
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
