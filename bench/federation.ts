/**
 * Federation benchmark (`npm run bench:federation`): two islands over real Prosody s2s on loopback
 * (federation/test/support/prosody.ts: one Prosody per island, plaintext + dialback, Nagle off, no `limits`),
 * each island's focus its own process (SQLite in a temp dir) connected as its island's XEP-0114 component.
 * A conference on island A is linked to island B; graphql-ws subscribers on B (remote) and on A (local) listen
 * to its events. It measures
 *   1. the peer figure first, on the same two Prosodys before the foci connect: two bare ComponentLinks
 *      (focus.island-a → focus.island-b), round trips of a small <message> (one-way and round-trip latency)
 *      and a burst (stanzas per second, in order, none lost);
 *   2. mutation on A → event at B's subscriber: sequential muteUser/unmuteUser over HTTP, median and p99
 *      (and, for comparison, at A's own subscriber);
 *   3. a burst of mutations on A from several concurrent HTTP clients: events per second arriving at B's
 *      subscriber, B's lag behind A, and the in-order / no-gap / no-duplicate check;
 *   4. catch-up: B's Prosody stopped while mutations pile up on A, then started: the rate at which the
 *      backlog reaches B's subscriber (the federation's own rate, not bounded by A's mutations), same check;
 * prints a table and rewrites the "## Federation" section of bench/RESULTS.md (other sections are kept).
 * Fixed counts, loopback only; the script exits by itself (watchdog: 4 minutes).
 */
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { createClient, type Client } from "graphql-ws";
import { ComponentLink, xml, type Element } from "../federation/src/index.ts";
import { prosodyVersion, startIslands, type Island, type Islands } from "../federation/test/support/prosody.ts";
import { machineBusySeconds, processCpuSeconds, processRssMiB, repo, sqliteDatabase, startFocusProcess, type Database, type FocusProcess } from "./lib/focus.ts";
import { machine, ms, summarize, table, writeResults, type Summary } from "./lib/report.ts";
import { writeHeadlines, type Headline } from "./lib/headlines.ts";
import { GraphQLHttp, MuteToggle } from "./lib/graphql.ts";

// ---- parameters (fixed, so runs compare) ----
const ADMIN_TOKEN = "dcon_bench-admin-secret-0123456789abcdefghijklmn";
const DOMAIN_A = "island-a.test";
const DOMAIN_B = "island-b.test";
const PAIR_SECRET = "the bench's island pair secret, a and b";
const RAW_WARMUP = 50;
const RAW_ROUND_TRIPS = 1000;
const RAW_BURST = 10_000;
const LATENCY_WARMUP = 20;
const LATENCY_MUTATIONS = 300;
const BURST_CLIENTS = 8;
const BURST_MUTATIONS = 2000;
const CATCHUP_MUTATIONS = 1000;
/** the same clients on a conference of A that is not linked: A's mutation rate without federation */
const BASELINE_MUTATIONS = 1000;
const ROUND_TIMEOUT_MS = 10_000;
const BURST_TIMEOUT_MS = 90_000;
const WATCHDOG_MS = 4 * 60_000;
const BENCH_NS = "urn:x-dcon:bench";

const SUBSCRIPTION = `subscription($id: ID!) { conferenceEvents(conferenceId: $id) { kind event { origin seq type } } }`;

const started = performance.now();
const log = (msg: string) => process.stdout.write(`[bench:federation ${((performance.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))),
  ]);
}

function benchCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

// ---- HTTP ----

const mutes = new MuteToggle();
const toggleMute = (http: GraphQLHttp, userId: string) => mutes.toggle(http, userId);

// ---- a subscriber that keeps the arrival time of every event of one origin ----

interface Arrival {
  seq: number;
  type: string;
  t: number;
}

class EventTap {
  readonly arrivals: Arrival[] = [];
  /** seq -> arrival time (first arrival) */
  readonly at = new Map<number, number>();
  duplicates = 0;
  gaps = 0;
  outOfOrder = 0;
  private last: number | null = null;
  private readonly client: Client;
  private stopSub: () => void = () => {};
  private waiters = new Set<() => void>();
  readonly problems: string[] = [];
  private closing = false;

  constructor(readonly label: string, url: string, readonly origin: string) {
    this.client = createClient({
      url: `${url.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${ADMIN_TOKEN}` },
      retryAttempts: 0,
      lazy: true,
    });
  }

  /** Subscribes; resolves at the FULL_STATE. */
  start(conferenceId: string): Promise<void> {
    return new Promise((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => reject(new Error(`${this.label}: no FULL_STATE in 20 s`)), 20_000);
      this.stopSub = this.client.subscribe<any>({ query: SUBSCRIPTION, variables: { id: conferenceId } }, {
        next: (r) => {
          const t = performance.now();
          const item = r.data?.conferenceEvents;
          if (r.errors?.length || !item) {
            this.problem(`${this.label}: ${JSON.stringify(r.errors)}`);
            return;
          }
          if (item.kind !== "EVENT") {
            if (!ready) {
              ready = true;
              clearTimeout(timer);
              resolve();
            } else this.problem(`${this.label}: a ${item.kind} in the middle of the stream`);
            return;
          }
          const e = item.event as { origin: string; seq: number; type: string };
          if (e.origin !== this.origin) return;
          if (this.last !== null) {
            if (e.seq <= this.last) {
              if (this.at.has(e.seq)) this.duplicates++;
              else this.outOfOrder++;
            } else if (e.seq > this.last + 1) this.gaps += e.seq - this.last - 1;
          }
          if (!this.at.has(e.seq)) {
            this.at.set(e.seq, t);
            this.arrivals.push({ seq: e.seq, type: e.type, t });
          }
          this.last = this.last === null ? e.seq : Math.max(this.last, e.seq);
          for (const w of this.waiters) w();
        },
        error: (err) => {
          const msg = err instanceof Error ? err.message : JSON.stringify(err);
          if (!ready) {
            clearTimeout(timer);
            reject(new Error(`${this.label}: ${msg}`));
          } else this.problem(`${this.label} failed: ${msg}`);
        },
        complete: () => {
          if (!this.closing) this.problem(`${this.label} completed unexpectedly`);
        },
      });
    });
  }

  get lastSeq(): number {
    return this.last ?? 0;
  }

  /** Resolves once `pred` holds (checked on every event of the origin), rejects after `timeoutMs`. */
  when(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!pred()) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`${this.label}: timed out waiting for ${what} (last seq ${this.last})`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** The first event after `afterSeq` of `type`, once it is here. */
  async next(afterSeq: number, type: string, timeoutMs: number): Promise<Arrival> {
    // arrivals are in seq order: look back from the newest to the first one after `afterSeq`
    const find = () => {
      let found: Arrival | undefined;
      for (let i = this.arrivals.length - 1; i >= 0; i--) {
        const a = this.arrivals[i]!;
        if (a.seq <= afterSeq) break;
        if (a.type === type) found = a;
      }
      return found;
    };
    await this.when(() => find() !== undefined, timeoutMs, `a ${type} after seq ${afterSeq}`);
    return find()!;
  }

  problem(msg: string): void {
    if (this.problems.length < 20) this.problems.push(msg);
  }

  async close(): Promise<void> {
    this.closing = true;
    try {
      this.stopSub();
      await this.client.dispose();
    } catch {
      // already closed
    }
  }
}

// ---- 1. the peer figure: two bare components across s2s ----

interface RawResult {
  coldMs: number;
  oneWay: Summary;
  roundTrip: Summary;
  burst: { sent: number; received: number; seconds: number; perSecond: number; inOrder: boolean; sendSeconds: number };
}

async function rawComponents(ia: Island, ib: Island): Promise<RawResult> {
  const a = new ComponentLink({ service: ia.componentService, componentJid: ia.componentJid, secret: ia.secret });
  const b = new ComponentLink({ service: ib.componentService, componentJid: ib.componentJid, secret: ib.secret });
  try {
    await Promise.all([a.start({ timeoutMs: 15_000 }), b.start({ timeoutMs: 15_000 })]);
    // B echoes pings; in burst mode it only counts.
    let burstMode = false;
    let received = 0;
    let lastN = -1;
    let inOrder = true;
    let lastAt = 0;
    let burstDone: (() => void) | null = null;
    const arrivedB = new Map<number, number>();
    b.on("stanza", (s: Element) => {
      const t = performance.now();
      const ping = s.name === "message" ? s.getChild("ping", BENCH_NS) : undefined;
      if (!ping) return;
      const n = Number(ping.attrs.n);
      if (burstMode) {
        received++;
        if (n !== lastN + 1) inOrder = false;
        lastN = n;
        lastAt = t;
        if (received === RAW_BURST) burstDone?.();
        return;
      }
      arrivedB.set(n, t);
      void b.sendTo(ia.componentJid, xml("pong", { xmlns: BENCH_NS, n: String(n) })).catch(() => {});
    });
    const pongs = new Map<number, () => void>();
    a.on("stanza", (s: Element) => {
      const pong = s.name === "message" ? s.getChild("pong", BENCH_NS) : undefined;
      if (pong) pongs.get(Number(pong.attrs.n))?.();
    });
    const roundTrip = async (n: number): Promise<{ oneWay: number; rtt: number }> => {
      const back = new Promise<void>((r) => pongs.set(n, r));
      const t0 = performance.now();
      await a.sendTo(ib.componentJid, xml("ping", { xmlns: BENCH_NS, n: String(n) }));
      await withTimeout(back, 5000, `pong ${n}`);
      const rtt = performance.now() - t0;
      pongs.delete(n);
      return { oneWay: arrivedB.get(n)! - t0, rtt };
    };

    const cold = await roundTrip(0); // the first stanza sets up the s2s link (dialback)
    for (let i = 1; i <= RAW_WARMUP; i++) await roundTrip(i);
    const oneWay: number[] = [];
    const rtts: number[] = [];
    for (let i = 0; i < RAW_ROUND_TRIPS; i++) {
      const r = await roundTrip(RAW_WARMUP + 1 + i);
      oneWay.push(r.oneWay);
      rtts.push(r.rtt);
    }

    burstMode = true;
    const all = new Promise<void>((r) => (burstDone = r));
    const t0 = performance.now();
    for (let n = 0; n < RAW_BURST; n++) await a.sendTo(ib.componentJid, xml("ping", { xmlns: BENCH_NS, n: String(n) }));
    const sendSeconds = (performance.now() - t0) / 1000;
    await withTimeout(all, 30_000, "the raw burst").catch(() => {});
    const seconds = ((received === RAW_BURST ? lastAt : performance.now()) - t0) / 1000;
    return {
      coldMs: cold.oneWay,
      oneWay: summarize(oneWay),
      roundTrip: summarize(rtts),
      burst: { sent: RAW_BURST, received, seconds, perSecond: received / seconds, inOrder: inOrder && received === RAW_BURST, sendSeconds },
    };
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

// ---- 2. and 3. through the foci ----

interface LatencyResult {
  remote: Summary;
  local: Summary;
  hop: Summary;
  rtt: Summary;
  missed: number;
}

async function latencyRun(http: GraphQLHttp, userId: string, remote: EventTap, local: EventTap): Promise<LatencyResult> {
  const toB: number[] = [];
  const toA: number[] = [];
  const hop: number[] = [];
  const rtts: number[] = [];
  let missed = 0;
  let lastSeq = Math.max(remote.lastSeq, local.lastSeq);
  for (let i = 0; i < LATENCY_WARMUP + LATENCY_MUTATIONS; i++) {
    const type = mutes.nextType(userId);
    const t0 = performance.now();
    const rtt = toggleMute(http, userId).then(() => performance.now() - t0);
    try {
      const [b, a, r] = await Promise.all([remote.next(lastSeq, type, ROUND_TIMEOUT_MS), local.next(lastSeq, type, ROUND_TIMEOUT_MS), rtt]);
      if (a.seq !== b.seq) throw new Error(`A's subscriber has seq ${a.seq}, B's ${b.seq}`);
      lastSeq = b.seq;
      if (i < LATENCY_WARMUP) continue;
      toB.push(b.t - t0);
      toA.push(a.t - t0);
      hop.push(b.t - a.t);
      rtts.push(r);
    } catch (err) {
      await rtt.catch(() => {});
      if (i >= LATENCY_WARMUP) missed++;
      lastSeq = Math.max(remote.lastSeq, local.lastSeq);
      log(`  round ${i}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { remote: summarize(toB), local: summarize(toA), hop: summarize(hop), rtt: summarize(rtts), missed };
}

interface BurstResult {
  mutations: number;
  errors: number;
  httpSeconds: number;
  localSeconds: number;
  remoteSeconds: number;
  remoteLagMs: number;
  received: number;
  inOrder: boolean;
  duplicates: number;
  gaps: number;
  hop: Summary;
  focusACpu: number;
  focusBCpu: number;
  focusACpuMsPerMutation: number;
}

async function burstRun(http: GraphQLHttp, users: string[], remote: EventTap, local: EventTap, pids: { a: number; b: number }): Promise<BurstResult> {
  const base = local.lastSeq;
  await remote.when(() => remote.lastSeq >= base, 30_000, `B to have seq ${base} before the burst`);
  const dup0 = remote.duplicates + remote.outOfOrder;
  const gap0 = remote.gaps;
  const cpuA0 = processCpuSeconds(pids.a);
  const cpuB0 = processCpuSeconds(pids.b);
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  const client = async (userId: string) => {
    while (next < BURST_MUTATIONS) {
      next++;
      try {
        await toggleMute(http, userId);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(users.slice(0, BURST_CLIENTS).map(client));
  const tHttp = performance.now();
  const expected = BURST_MUTATIONS - errors;
  const last = base + expected;
  let tLocal = Number.NaN;
  let tRemote = Number.NaN;
  await Promise.all([
    local.when(() => local.lastSeq >= last, BURST_TIMEOUT_MS, `A's subscriber to reach seq ${last}`).then(() => (tLocal = local.at.get(last)!)),
    remote.when(() => remote.lastSeq >= last && remote.at.has(last), BURST_TIMEOUT_MS, `B's subscriber to reach seq ${last}`).then(() => (tRemote = remote.at.get(last)!)),
  ]).catch((err) => log(`  ${err instanceof Error ? err.message : String(err)}`));
  const cpuA = processCpuSeconds(pids.a) - cpuA0;
  const cpuB = processCpuSeconds(pids.b) - cpuB0;
  const wall = ((Number.isFinite(tRemote) ? tRemote : performance.now()) - t0) / 1000;
  const burst = remote.arrivals.filter((a) => a.seq > base);
  const seqs = burst.map((a) => a.seq);
  const inOrder = seqs.length === expected && seqs.every((s, i) => s === base + 1 + i);
  const hop: number[] = [];
  for (const a of burst) {
    const tA = local.at.get(a.seq);
    if (tA !== undefined) hop.push(a.t - tA);
  }
  return {
    mutations: expected,
    errors,
    httpSeconds: (tHttp - t0) / 1000,
    localSeconds: (tLocal - t0) / 1000,
    remoteSeconds: (tRemote - t0) / 1000,
    remoteLagMs: tRemote - tHttp,
    received: burst.length,
    inOrder: inOrder && remote.duplicates + remote.outOfOrder === dup0 && remote.gaps === gap0,
    duplicates: remote.duplicates + remote.outOfOrder - dup0,
    gaps: remote.gaps - gap0,
    hop: summarize(hop),
    focusACpu: cpuA / wall,
    focusBCpu: cpuB / wall,
    focusACpuMsPerMutation: (cpuA * 1000) / expected,
  };
}

/** Mutations per second on A with BURST_CLIENTS concurrent clients, each toggling its own user. */
async function mutationRate(http: GraphQLHttp, users: string[], count: number, pidA: number): Promise<{ mutations: number; errors: number; seconds: number; cpuMsPerMutation: number }> {
  const cpu0 = processCpuSeconds(pidA);
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    users.slice(0, BURST_CLIENTS).map(async (userId) => {
      while (next < count) {
        next++;
        try {
          await toggleMute(http, userId);
        } catch {
          errors++;
        }
      }
    }),
  );
  return { mutations: count - errors, errors, seconds: (performance.now() - t0) / 1000, cpuMsPerMutation: ((processCpuSeconds(pidA) - cpu0) * 1000) / (count - errors) };
}

interface CatchUpResult {
  mutations: number;
  errors: number;
  /** from B's Prosody answering again until B's subscriber had the last event */
  recoverySeconds: number;
  /** from the first to the last backlog event at B's subscriber */
  drainSeconds: number;
  perSecond: number;
  received: number;
  inOrder: boolean;
  duplicates: number;
  gaps: number;
  /** focus B's CPU time / wall time from B's Prosody answering again until the last event */
  focusBCpu: number;
}

/**
 * B's Prosody stops; CATCHUP_MUTATIONS mutations pile up on A (its stanzas to B bounce and are retried);
 * B's Prosody starts again: how fast the backlog reaches B's subscriber, which stayed connected to B's focus.
 */
async function catchUpRun(http: GraphQLHttp, users: string[], remote: EventTap, local: EventTap, ib: Island, pidB: number): Promise<CatchUpResult> {
  const base = local.lastSeq;
  await remote.when(() => remote.lastSeq >= base, 30_000, `B to have seq ${base} before the catch-up`);
  const dup0 = remote.duplicates + remote.outOfOrder;
  const gap0 = remote.gaps;
  await ib.stop();
  let next = 0;
  let errors = 0;
  const client = async (userId: string) => {
    while (next < CATCHUP_MUTATIONS) {
      next++;
      try {
        await toggleMute(http, userId);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(users.slice(0, BURST_CLIENTS).map(client));
  const expected = CATCHUP_MUTATIONS - errors;
  const last = base + expected;
  await local.when(() => local.lastSeq >= last, BURST_TIMEOUT_MS, `A's subscriber to reach seq ${last}`);
  const early = remote.arrivals.filter((a) => a.seq > base).length;
  if (early > 0) log(`  ${early} event(s) reached B while its Prosody was down?`);
  await ib.start();
  const tUp = performance.now();
  const cpuB0 = processCpuSeconds(pidB);
  await remote.when(() => remote.at.has(last), BURST_TIMEOUT_MS, `B's subscriber to reach seq ${last}`).catch((err) => log(`  ${err instanceof Error ? err.message : String(err)}`));
  const cpuB = processCpuSeconds(pidB) - cpuB0;
  const backlog = remote.arrivals.filter((a) => a.seq > base);
  const seqs = backlog.map((a) => a.seq);
  const complete = seqs.length === expected && seqs.every((s, i) => s === base + 1 + i);
  const tFirst = backlog[0]?.t ?? Number.NaN;
  const tLast = remote.at.get(last) ?? Number.NaN;
  const drainSeconds = (tLast - tFirst) / 1000;
  return {
    mutations: expected,
    errors,
    recoverySeconds: (tLast - tUp) / 1000,
    drainSeconds,
    perSecond: (backlog.length - 1) / drainSeconds,
    received: backlog.length,
    inOrder: complete && remote.duplicates + remote.outOfOrder === dup0 && remote.gaps === gap0,
    duplicates: remote.duplicates + remote.outOfOrder - dup0,
    gaps: remote.gaps - gap0,
    focusBCpu: cpuB / ((performance.now() - tUp) / 1000),
  };
}

// ---- main ----

function federationEnv(me: Island, peer: Island, db: Database): Record<string, string> {
  return {
    DATABASE_URL: db.url,
    ADMIN_TOKEN,
    ISLAND: me.domain,
    SIP_ENABLED: "false",
    LOG_LEVEL: "warn",
    XMPP_SERVICE: me.componentService,
    XMPP_COMPONENT_JID: me.componentJid,
    XMPP_COMPONENT_SECRET: me.secret,
    FEDERATION_PEERS: JSON.stringify([{ island: peer.domain, component: peer.componentJid, secret: PAIR_SECRET }]),
  };
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    log(`watchdog: still running after ${WATCHDOG_MS / 1000} s, giving up`);
    // stop the foci and both Prosodys first (bounded: a stuck stop must not keep the run alive)
    setTimeout(() => process.exit(2), 15_000);
    void cleanup().finally(() => process.exit(2));
  }, WATCHDOG_MS);
  watchdog.unref();

  let islands: Islands | null = null;
  const dbs: Database[] = [];
  const foci: FocusProcess[] = [];
  const taps: EventTap[] = [];
  let cleaning: Promise<void> | null = null;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await Promise.all(taps.map((t) => t.close()));
      await Promise.all(foci.map((f) => f.stop().catch((err) => log(`focus stop failed: ${err}`))));
      await Promise.all(dbs.map((d) => d.dispose().catch((err) => log(`database cleanup failed: ${err}`))));
      await islands?.stop().catch((err) => log(`Prosody cleanup failed: ${err}`));
    })());
  const onSignal = (signal: string) => {
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const failures: string[] = [];
  const load0 = os.loadavg()[0]!;
  let raw: RawResult | null = null;
  let latency: LatencyResult | null = null;
  let burst: BurstResult | null = null;
  let catchUp: CatchUpResult | null = null;
  let baseline: Awaited<ReturnType<typeof mutationRate>> | null = null;
  let busy0 = Number.NaN, bench0 = Number.NaN, wall0 = Number.NaN, otherCores = Number.NaN;
  let fociCpu0 = Number.NaN;
  let focusRss = { a: Number.NaN, b: Number.NaN };
  let outputs: string[] = [];
  const prosody = prosodyVersion();
  try {
    let t = performance.now();
    islands = await startIslands([DOMAIN_A, DOMAIN_B], { logLevel: "warn" });
    const [ia, ib] = islands.islands as [Island, Island];
    log(`Prosody ${prosody}: ${ia.domain} on ${ia.address}, ${ib.domain} on ${ib.address} (s2s port ${ia.s2sPort}, components on ${ia.componentPort}; ${((performance.now() - t) / 1000).toFixed(1)} s)`);

    // ---- 1. peer figure ----
    log(`raw components: ${RAW_ROUND_TRIPS} round trips of a <message>, then a burst of ${RAW_BURST} ...`);
    try {
      raw = await rawComponents(ia, ib);
      log(
        `  first stanza (s2s set-up) ${ms(raw.coldMs)} ms; one-way median ${ms(raw.oneWay.median)} ms p99 ${ms(raw.oneWay.p99)} ms; ` +
          `round trip median ${ms(raw.roundTrip.median)} ms p99 ${ms(raw.roundTrip.p99)} ms; burst ${raw.burst.received}/${raw.burst.sent} in ${raw.burst.seconds.toFixed(2)} s = ${raw.burst.perSecond.toFixed(0)} stanzas/s${raw.burst.inOrder ? ", in order" : ", NOT all in order"}`,
      );
    } catch (err) {
      const msg = `raw components failed: ${err instanceof Error ? err.message : String(err)}`;
      failures.push(msg);
      log(msg);
    }

    // ---- the foci ----
    t = performance.now();
    const dbA = sqliteDatabase();
    const dbB = sqliteDatabase();
    dbs.push(dbA, dbB);
    const [focusA, focusB] = await Promise.all([startFocusProcess(federationEnv(ia, ib, dbA)), startFocusProcess(federationEnv(ib, ia, dbB))]);
    foci.push(focusA, focusB);
    const a = new GraphQLHttp(focusA.url, ADMIN_TOKEN);
    const b = new GraphQLHttp(focusB.url, ADMIN_TOKEN);
    await until("both foci's components online", async () => {
      const [fa, fb] = await Promise.all([a.gql(`{ federation { online } }`), b.gql(`{ federation { online } }`)]);
      return fa.federation.online && fb.federation.online;
    });
    log(`foci: A pid ${focusA.pid} on ${focusA.url}, B pid ${focusB.pid} on ${focusB.url}, both components online (${((performance.now() - t) / 1000).toFixed(1)} s)`);

    const { createConference: conf } = await a.gql<{ createConference: { id: string; users: { id: string }[] } }>(
      `mutation($input: ConferenceInput!) { createConference(input: $input) { id users { id } } }`,
      {
        input: {
          subject: "bench federation",
          durationMin: 24 * 60,
          maxUsers: 1000,
          users: Array.from({ length: 1 + BURST_CLIENTS }, (_, i) => ({ entity: `sip:fed-${i}@${DOMAIN_A}`, displayName: `fed ${i}` })),
        },
      },
    );
    t = performance.now();
    await a.gql(`mutation($id: ID!, $i: String!) { linkConference(id: $id, island: $i) { islands } }`, { id: conf.id, i: DOMAIN_B });
    await until("the replica on B", async () => {
      const r = await fetch(`${focusB.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify({ query: `query($id: ID!) { conference(id: $id) { id islands users { id } } }`, variables: { id: conf.id } }),
      });
      const body = (await r.json()) as { data?: { conference?: { islands: string[]; users: unknown[] } } };
      const c = body.data?.conference;
      return c && c.islands.includes(DOMAIN_B) && c.users.length === 1 + BURST_CLIENTS;
    });
    log(`conference ${conf.id} on A linked to B; replica with its ${1 + BURST_CLIENTS} users on B after ${ms(performance.now() - t)} ms`);

    const remote = new EventTap("B's subscriber", focusB.url, DOMAIN_A);
    const local = new EventTap("A's subscriber", focusA.url, DOMAIN_A);
    taps.push(remote, local);
    await Promise.all([remote.start(conf.id), local.start(conf.id)]);

    busy0 = machineBusySeconds();
    bench0 = benchCpuSeconds();
    wall0 = performance.now();
    fociCpu0 = processCpuSeconds(focusA.pid) + processCpuSeconds(focusB.pid);

    // ---- 2. latency ----
    log(`latency: ${LATENCY_WARMUP} warm-up + ${LATENCY_MUTATIONS} sequential mutations on A ...`);
    try {
      latency = await latencyRun(a, conf.users[0]!.id, remote, local);
      log(
        `  at B's subscriber median ${ms(latency.remote.median)} ms p99 ${ms(latency.remote.p99)} ms max ${ms(latency.remote.max)} ms; ` +
          `at A's median ${ms(latency.local.median)} ms p99 ${ms(latency.local.p99)} ms; A→B hop median ${ms(latency.hop.median)} ms p99 ${ms(latency.hop.p99)} ms; missed ${latency.missed}`,
      );
    } catch (err) {
      const msg = `latency failed: ${err instanceof Error ? err.message : String(err)}`;
      failures.push(msg);
      log(msg);
    }

    // ---- 3. burst (first the same clients on a conference of A's own, not linked: A's rate without federation) ----
    log(`baseline: ${BASELINE_MUTATIONS} mutations on a conference of A that is not linked, ${BURST_CLIENTS} concurrent clients ...`);
    try {
      const { createConference: solo } = await a.gql<{ createConference: { id: string; users: { id: string }[] } }>(
        `mutation($input: ConferenceInput!) { createConference(input: $input) { id users { id } } }`,
        { input: { subject: "bench federation, island A only", durationMin: 24 * 60, maxUsers: 1000, users: Array.from({ length: BURST_CLIENTS }, (_, i) => ({ entity: `sip:solo-${i}@${DOMAIN_A}` })) } },
      );
      baseline = await mutationRate(a, solo.users.map((u) => u.id), BASELINE_MUTATIONS, focusA.pid);
      log(`  ${(baseline.mutations / baseline.seconds).toFixed(0)} mutations/s (${baseline.errors} errors)`);
    } catch (err) {
      const msg = `baseline failed: ${err instanceof Error ? err.message : String(err)}`;
      failures.push(msg);
      log(msg);
    }
    log(`burst: ${BURST_MUTATIONS} mutations on A from ${BURST_CLIENTS} concurrent clients ...`);
    try {
      burst = await burstRun(a, conf.users.slice(1).map((u) => u.id), remote, local, { a: focusA.pid, b: focusB.pid });
      log(
        `  HTTP done in ${burst.httpSeconds.toFixed(2)} s (${(burst.mutations / burst.httpSeconds).toFixed(0)} mutations/s); A's subscriber had all after ${burst.localSeconds.toFixed(2)} s, ` +
          `B's after ${burst.remoteSeconds.toFixed(2)} s (${(burst.received / burst.remoteSeconds).toFixed(0)} events/s, ${ms(burst.remoteLagMs)} ms after the last HTTP answer); ` +
          `${burst.received}/${burst.mutations} ${burst.inOrder ? "in order, no gap, no duplicate" : `NOT in order (gaps ${burst.gaps}, duplicates ${burst.duplicates})`}; hop median ${ms(burst.hop.median)} ms p99 ${ms(burst.hop.p99)} ms`,
      );
      if (!burst.inOrder) failures.push(`burst: B's subscriber got ${burst.received}/${burst.mutations}, gaps ${burst.gaps}, duplicates ${burst.duplicates}`);
      if (burst.errors) failures.push(`burst: ${burst.errors} mutations failed`);
    } catch (err) {
      const msg = `burst failed: ${err instanceof Error ? err.message : String(err)}`;
      failures.push(msg);
      log(msg);
    }

    // ---- 4. catch-up after an outage of B's XMPP server (not counted in the CPU figures below) ----
    const wallMeasured = (performance.now() - wall0) / 1000;
    const fociCpuMeasured = processCpuSeconds(focusA.pid) + processCpuSeconds(focusB.pid) - fociCpu0;
    otherCores = (machineBusySeconds() - busy0 - fociCpuMeasured - (benchCpuSeconds() - bench0)) / wallMeasured;
    log(`catch-up: B's Prosody stopped, ${CATCHUP_MUTATIONS} mutations on A, B's Prosody started again ...`);
    try {
      catchUp = await catchUpRun(a, conf.users.slice(1).map((u) => u.id), remote, local, ib, focusB.pid);
      log(
        `  B's subscriber had all ${catchUp.received}/${catchUp.mutations} ${catchUp.recoverySeconds.toFixed(2)} s after B's Prosody was back; ` +
          `the backlog itself arrived in ${catchUp.drainSeconds.toFixed(2)} s (${catchUp.perSecond.toFixed(0)} events/s); ${catchUp.inOrder ? "in order, no gap, no duplicate" : `NOT in order (gaps ${catchUp.gaps}, duplicates ${catchUp.duplicates})`}`,
      );
      if (!catchUp.inOrder) failures.push(`catch-up: B's subscriber got ${catchUp.received}/${catchUp.mutations}, gaps ${catchUp.gaps}, duplicates ${catchUp.duplicates}`);
    } catch (err) {
      const msg = `catch-up failed: ${err instanceof Error ? err.message : String(err)}`;
      failures.push(msg);
      log(msg);
    }

    const status = await until("A's outbox for B drained", async () => {
      const r = await a.gql(`{ federation { peers { island unacknowledged conferences } } }`);
      return r.federation.peers.every((p: { unacknowledged: number }) => p.unacknowledged === 0) && r;
    }, 10_000).catch(() => null);
    if (status) log(`A's federation status: ${JSON.stringify(status.federation.peers)}`);
    focusRss = { a: processRssMiB(focusA.pid), b: processRssMiB(focusB.pid) };
    for (const tap of taps) failures.push(...tap.problems);
    if (latency?.missed) failures.push(`latency: ${latency.missed} event(s) did not reach both subscribers within ${ROUND_TIMEOUT_MS} ms`);
    log(`other processes (Prosody included) kept ${otherCores.toFixed(2)} cores busy on average while measuring (1-minute load average at start ${load0.toFixed(2)})`);
  } finally {
    log("stopping the foci and Prosody");
    outputs = foci.map((f) => f.output());
    await cleanup();
  }

  for (const [i, out] of outputs.entries()) {
    const warnings = out.split("\n").filter((l) => /"level":(40|50|60)/.test(l));
    if (warnings.length) {
      const line = `focus ${i === 0 ? "A" : "B"} logged ${warnings.length} warning/error line(s), e.g. ${warnings[0]!.slice(0, 200)}`;
      log(line);
      if (!catchUp) failures.push(line);
    }
  }

  // ---- report ----
  const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(0)}%` : "-");
  const rows: string[][] = [];
  if (raw) {
    rows.push(["Peer: bare component A → component B over s2s, one-way", String(raw.oneWay.n), ms(raw.oneWay.median), ms(raw.oneWay.p99), ms(raw.oneWay.max), "-", "-"]);
    rows.push(["Peer: bare component A → B → A, round trip", String(raw.roundTrip.n), ms(raw.roundTrip.median), ms(raw.roundTrip.p99), ms(raw.roundTrip.max), "-", "-"]);
    rows.push([`Peer: burst of ${raw.burst.sent} <message> stanzas A → B`, String(raw.burst.received), "-", "-", "-", raw.burst.perSecond.toFixed(0), raw.burst.inOrder ? "yes" : "no"]);
  }
  if (latency) {
    rows.push(["Focus: mutation on A → event at B's subscriber", String(latency.remote.n), ms(latency.remote.median), ms(latency.remote.p99), ms(latency.remote.max), "-", "-"]);
    rows.push(["Focus: mutation on A → event at A's own subscriber (no federation)", String(latency.local.n), ms(latency.local.median), ms(latency.local.p99), ms(latency.local.max), "-", "-"]);
    rows.push(["Focus: A's subscriber → B's subscriber (the federation hop)", String(latency.hop.n), ms(latency.hop.median), ms(latency.hop.p99), ms(latency.hop.max), "-", "-"]);
  }
  if (baseline) {
    rows.push([`Focus: the same clients on a conference of A that is not linked (A alone, mutations)`, String(baseline.mutations), "-", "-", "-", (baseline.mutations / baseline.seconds).toFixed(0), "-"]);
  }
  if (burst) {
    rows.push([
      `Focus: burst of ${burst.mutations} mutations on A (${BURST_CLIENTS} HTTP clients) → B's subscriber`,
      String(burst.received), "-", "-", "-", (burst.received / burst.remoteSeconds).toFixed(0), burst.inOrder ? "yes" : "no",
    ]);
    rows.push([`Focus: the same burst, A's subscriber → B's subscriber (hop under load)`, String(burst.hop.n), ms(burst.hop.median), ms(burst.hop.p99), ms(burst.hop.max), "-", "-"]);
  }
  if (catchUp) {
    rows.push([
      `Focus: backlog of ${catchUp.mutations} events after B's Prosody was down → B's subscriber`,
      String(catchUp.received), "-", "-", "-", catchUp.perSecond.toFixed(0), catchUp.inOrder ? "yes" : "no",
    ]);
  }
  const mainTable = table(["Path", "Samples", "Median ms", "p99 ms", "Max ms", "Per second", "In order, complete, once each"], rows);

  const notes: string[] = [];
  if (raw) notes.push(`Peer: the first stanza on the cold s2s link (connection and dialback) took ${ms(raw.coldMs)} ms one-way; the burst's ${raw.burst.sent} stanzas were written in ${raw.burst.sendSeconds.toFixed(2)} s and all had arrived ${raw.burst.seconds.toFixed(2)} s after the first.`);
  if (latency && raw) notes.push(`Latency: the event reaches B's subscriber ${ms(latency.remote.median - latency.local.median)} ms (median) after A's own subscriber; the bare s2s path is ${ms(raw.oneWay.median)} ms of it, the rest is the two foci (A reads the event back from its log and signs it; B verifies it, applies it and writes it to its database in one transaction before publishing it). Mutation HTTP round trip on A: median ${ms(latency.rtt.median)} ms.`);
  if (burst) {
    notes.push(
      `Burst: A answered its ${burst.mutations} mutations in ${burst.httpSeconds.toFixed(2)} s (${(burst.mutations / burst.httpSeconds).toFixed(0)}/s, ${burst.errors} errors); A's subscriber had them all after ${burst.localSeconds.toFixed(2)} s, ` +
        `B's after ${burst.remoteSeconds.toFixed(2)} s, ${ms(burst.remoteLagMs)} ms after the last HTTP answer: events per second A→B are bounded by A's mutation rate, not by the federation. ` +
        (baseline ? `The same ${BURST_CLIENTS} clients on a conference of A that is not linked: ${(baseline.mutations / baseline.seconds).toFixed(0)} mutations/s (${baseline.mutations} in ${baseline.seconds.toFixed(2)} s). ` : "") +
        `Focus CPU over the burst: A ${pct(burst.focusACpu)} (${ms(burst.focusACpuMsPerMutation)} ms per mutation${baseline ? `, against ${ms(baseline.cpuMsPerMutation)} ms on the conference that is not linked` : ""}), B ${pct(burst.focusBCpu)}.`,
    );
  }
  if (catchUp) {
    notes.push(
      `Catch-up: with B's Prosody stopped, A took ${catchUp.mutations} mutations (its stanzas to B bounced and were retried every second); ` +
        `B's Prosody started again, B's focus reconnected as its component and B's subscriber (connected to B's focus throughout) had every event ${catchUp.recoverySeconds.toFixed(2)} s later, ` +
        `the backlog itself arriving in ${catchUp.drainSeconds.toFixed(2)} s: ${catchUp.perSecond.toFixed(0)} events/s, the federation's own rate (windows of 100 events, acknowledged in batches, each event verified and written to B's database before it is published); focus B's CPU meanwhile ${pct(catchUp.focusBCpu)}${catchUp.focusBCpu > 0.85 ? ": the receiver applying events is the limit" : ""}.`,
    );
  }
  if (Number.isFinite(otherCores) && otherCores > 0.25) notes.push(`Other processes (both Prosodys among them) used ${otherCores.toFixed(2)} cores on average during the latency and burst runs.`);
  for (const f of failures) notes.push(`Problem: ${f}`);

  const m = machine();
  const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const body = [
    [
      `- Run: ${date}`,
      ...Object.entries(m).map(([k, v]) => `- ${k}: ${v}`),
      `- Database: SQLite (embedded, WAL, synchronous=NORMAL), one file per focus`,
      `- XMPP: Prosody ${prosody} (Debian), two islands on 127.0.0.2 and 127.0.0.3, s2s plaintext + dialback, Nagle off, no \`limits\``,
      `- Focus RSS at the end: A ${focusRss.a.toFixed(0)} MiB, B ${focusRss.b.toFixed(0)} MiB`,
      `- Other load: 1-minute load average ${load0.toFixed(2)} at start; other processes (both Prosodys included) kept ${Number.isFinite(otherCores) ? otherCores.toFixed(2) : "?"} cores busy on average during the latency and burst runs`,
    ].join("\n"),
    `**Island A → island B** (percentiles nearest-rank; all times taken in the bench process, so A's and B's subscribers share one clock)\n\n${mainTable}`,
    ...(notes.length ? [notes.map((n) => `- ${n}`).join("\n")] : []),
  ].join("\n\n");

  process.stdout.write(`\n${body}\n\n`);

  const intro = `Method: two islands on loopback, each with its own Prosody (Debian package; federation/test/support/prosody.ts:
plaintext + dialback s2s, Nagle off, no \`limits\` module) and its own focus (\`node --import tsx api/src/main.ts\`,
LOG_LEVEL=warn, SIP off, a fresh SQLite file each) connected as the island's XEP-0114 component, the two foci peers of
each other with one shared secret. The peer figure comes first, in the same run, on the same two Prosodys before the
foci connect: two bare ComponentLinks (federation/src/xmpp) as \`focus.island-a.test\` and \`focus.island-b.test\`,
${RAW_ROUND_TRIPS} sequential round trips of a small \`<message>\` (B echoes each; one-way = A's send to B's receipt) after
${RAW_WARMUP} warm-up, then ${RAW_BURST.toLocaleString("en")} messages written back to back (rate = received / time from the first send to the last receipt;
both components live in the bench process, whose XML parsing is then the slower end, so this is a floor for what the two
Prosodys carry).
Then a conference created on A (with ${1 + BURST_CLIENTS} users) is linked to B (\`linkConference\`), and graphql-ws
clients subscribe to its \`conferenceEvents\` on B and on A. Latency: ${LATENCY_MUTATIONS} muteUser/unmuteUser
mutations over HTTP to A, one at a time after ${LATENCY_WARMUP} warm-up; each is timed from just before sending to
the event's arrival at each subscriber. Burst: ${BURST_MUTATIONS.toLocaleString("en")} mutations from ${BURST_CLIENTS} concurrent HTTP clients
(each toggling its own user); events per second = events / time from the first request until B's subscriber has the
last one; B's subscriber must see every seq of the burst exactly once and in order. Before it, the same clients make
${BASELINE_MUTATIONS.toLocaleString("en")} mutations on a conference of A that is not linked: A's own mutation rate, for comparison. Catch-up: B's Prosody is stopped,
${CATCHUP_MUTATIONS.toLocaleString("en")} more mutations are made on A, B's Prosody is started again; the rate is the backlog's events / time from the
first to the last arriving at B's subscriber (which stays connected to B's focus), with the same check. Every process
shares the machine's cores; runs on small shared VMs vary by 20–30 %.`;
  const file = join(repo, "bench", "RESULTS.md");
  writeResults(file, "## Federation (npm run bench:federation)", intro, "### SQLite (`npm run bench:federation`)", "### SQLite", body);
  log(`wrote ${file}`);
  // Ours beside bare components on the same two Prosodys (the s2s path with no focus work), same run.
  const peerName = "raw Prosody s2s (bare components)";
  const headlines: Headline[] = [];
  if (latency) {
    headlines.push({
      figure: "Federation one-way latency A → B, median (p99)",
      ours: `${ms(latency.hop.median)} ms (${ms(latency.hop.p99)} ms)`,
      ...(raw ? { peer: { name: peerName, value: `${ms(raw.oneWay.median)} ms (${ms(raw.oneWay.p99)} ms)` } } : {}),
    });
  }
  if (catchUp) {
    // the backlog after an outage is the federation's own rate; the live burst is bounded by A's mutation rate
    headlines.push({
      figure: "Federation throughput A → B (events/s, backlog after an outage)",
      ours: `${catchUp.perSecond.toFixed(0)}/s`,
      ...(raw ? { peer: { name: peerName, value: `${raw.burst.perSecond.toFixed(0)} stanzas/s` } } : {}),
    });
  }
  if (headlines.length) writeHeadlines("federation", headlines, "SQLite");
  clearTimeout(watchdog);
  if (!raw && !latency && !burst && !catchUp) process.exitCode = 1;
}

main().then(
  () => {
    // Anything still holding the loop (a stray socket) must not keep the benchmark alive.
    setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref();
  },
  (err) => {
    process.stderr.write(`[bench:federation] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
