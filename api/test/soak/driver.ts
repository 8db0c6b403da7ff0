/**
 * The soak driver: a focus process under calls joining and leaving (sipp), mutations and subscriptions,
 * in three phases (warm-up, steady load, drain), then the figures every assertion needs (./verdict.ts).
 * It asserts nothing itself: the CI test and the command line both judge the same report.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADMIN_TOKEN, HttpClient, freshDatabaseUrl } from "../support/focus.ts";
import { encodeUlaw, ToneGenerator } from "../../../media/src/audio/index.ts";
import type { SoakOptions } from "./options.ts";
import { startFocusProcess, type FocusProcess } from "./focus-process.ts";
import { Inspector } from "../../../bench/lib/inspector.ts";
import { scrape, type FocusSnapshot } from "./focus-metrics.ts";
import { SippLoad, type SippResult } from "./sipp-load.ts";
import { Follower, ShortLivedSubscriptions, type ShortLivedTally } from "./subscribers.ts";
import { Kicker, LiveRoster, MutationLoad, MutationTally, type OpTally } from "./mutations.ts";
import type { Sample } from "./trend.ts";

export const TALK_PREFIX = "soak-t";
export const KICK_PREFIX = "soak-k";

/** RFC 3261 timers at their defaults (T1 500 ms, T4 5 s): the longest a finished transaction lingers is 64*T1 (Timers J, L, M). */
const LINGER_MS = 64 * 500;
/** keep-alive HTTP connections the focus closes after 5 s idle (Node's default keepAliveTimeout) */
const KEEP_ALIVE_MS = 5_000;

export interface FollowerReport {
  conferenceId: string;
  version: number;
  events: number;
  gaps: number;
  duplicates: number;
  resyncs: number;
  errors: string[];
  /** ended by the server before the driver closed it */
  completedEarly: boolean;
  /** events in the log after `version`, and how many of them this follower got with the same seq and type */
  logEvents: number;
  matching: number;
  /** events received that the log does not have at that seq */
  extra: number;
}

export interface SoakReport {
  options: Omit<SoakOptions, "log">;
  databaseUrl: string;
  planned: { talk: number; kicked: number };
  talk: SippResult;
  kicked: SippResult;
  mutations: { byKind: Record<string, OpTally>; total: OpTally; pending: number; failures: string[]; churnCreated: number; churnDeleted: number };
  kicks: { scheduled: number; waiting: number };
  followers: FollowerReport[];
  /** USER_* events seen by the first follower of each call conference, summed */
  seen: { sipJoins: number; left: number; kicked: number };
  shortLived: ShortLivedTally;
  baseline: FocusSnapshot;
  final: FocusSnapshot;
  /** how long the drain waited for the focus to settle (ms) */
  settleMs: number;
  /** heap after a forced GC, seconds from the start of the load; `steady` marks the measured window */
  heap: Sample[];
  steady: { from: number; to: number };
  peak: { callDialogs: number; rtpSessions: number; subscriptions: number; serverTransactions: number };
  rss: { start: number; end: number };
  focusExit: number | string | null;
  durationS: number;
}

export class SoakAborted extends Error {
  override readonly name = "SoakAborted";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = (b: number) => (b / 1048576).toFixed(1);

/** 3 s of a 440 Hz tone as raw u-law (sipp's rtp_stream reads raw files only), looped by the scenario. */
function tone(): Uint8Array {
  const pcm = new ToneGenerator([440]).fill(new Int16Array(8000 * 3));
  const ulaw = new Uint8Array(pcm.length);
  encodeUlaw(pcm, ulaw);
  return ulaw;
}

/** The conference's log after `afterSeq`, every page. */
async function logAfter(api: HttpClient, conferenceId: string, afterSeq: number): Promise<{ seq: number; type: string }[]> {
  const out: { seq: number; type: string }[] = [];
  for (let after = afterSeq; ;) {
    const { events } = await api.must<{ events: { seq: number; type: string }[] }>(
      `query($id: ID!, $after: Int!) { events(conferenceId: $id, afterSeq: $after, limit: 1000) { seq type } }`, { id: conferenceId, after });
    out.push(...events);
    if (events.length < 1000) return out;
    after = events[events.length - 1]!.seq;
  }
}

function settled(s: FocusSnapshot, baseline: FocusSnapshot, allowance: number): boolean {
  const quiet = s.callDialogs + s.subscriptionDialogs + s.serverTransactions + s.clientTransactions + s.rtpSessions + s.wsConnections + s.subscriptions === 0;
  return quiet && resourceExcess(baseline, s, allowance).length === 0;
}

/** Types of handles and timers of which `final` has more than `baseline` plus `allowance`. */
export function resourceExcess(baseline: FocusSnapshot, final: FocusSnapshot, allowance: number): string[] {
  const types = new Set([...Object.keys(baseline.resources), ...Object.keys(final.resources)]);
  return [...types].filter((t) => (final.resources[t] ?? 0) - (baseline.resources[t] ?? 0) > allowance)
    .map((t) => `${t}: ${baseline.resources[t] ?? 0} -> ${final.resources[t] ?? 0}`);
}

/**
 * Handles and timers may exceed the baseline by this many of each type after the drain: the request that
 * reads /metrics is served by a socket and an Immediate or two of Express' (there at the baseline too, but
 * not always the same number). Connections that close on an idle timeout (a keep-alive connection of the
 * driver's GraphQL client, PostgreSQL pool connections opened under load and their idle timers) are waited
 * out by the drain rather than allowed for. A leak grows with the load (hundreds of calls, thousands of
 * requests): it cannot hide in 2.
 */
export const RESOURCE_ALLOWANCE = 2;

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const { log, ...options } = o;
  const startedAt = performance.now();
  const databaseUrl = o.databaseUrl ?? (await freshDatabaseUrl());
  const focus: FocusProcess = await startFocusProcess(databaseUrl);
  const work = mkdtempSync(join(tmpdir(), "dcon-soak-"));
  log(`soak: focus (pid ${focus.pid}) on ${databaseUrl.startsWith("file:") ? "SQLite" : "PostgreSQL"}, warm-up ${o.warmupS} s, steady ${o.steadyS} s; sipp files in ${work}`);
  const cleanups: (() => Promise<unknown> | void)[] = [];
  let focusExit: number | string | null = null;
  try {
    const inspector = await Inspector.connectUrl(focus.inspectorUrl);
    cleanups.push(() => inspector.close());
    const api = new HttpClient(focus.url, ADMIN_TOKEN);
    const loadS = o.warmupS + o.steadyS;

    // ---- set-up: the call conferences, then the baseline of an idle focus ----
    const conferences: { id: string; dialInCode: string }[] = [];
    for (let i = 0; i < o.conferences; i++) {
      const { createConference } = await api.must(`mutation($input: ConferenceInput!) { createConference(input: $input) { id dialInCode } }`, {
        input: { subject: `soak ${i + 1}`, maxUsers: 200, durationMin: Math.ceil(loadS / 60) + 30 },
      });
      conferences.push(createConference);
    }
    await sleep(KEEP_ALIVE_MS + 1000);
    await inspector.collectGarbage();
    const baseline = await scrape(focus.url);
    const rssStart = focus.rss();
    log(`soak: baseline heap ${MiB(baseline.heapUsed)} MiB, handles ${JSON.stringify(baseline.resources)}`);

    // ---- long-lived followers, and who is in the call conferences ----
    const tally = new MutationTally();
    const kicker = new Kicker(api, tally, KICK_PREFIX, o.kickDelayMs);
    cleanups.push(() => kicker.stop());
    const roster = new LiveRoster((c) => kicker.joined(c));
    const followers: Follower[] = [];
    const seen = { sipJoins: 0, left: 0, kicked: 0 };
    for (const c of conferences) {
      for (let k = 0; k < o.longLivedPerConference; k++) {
        const f = new Follower(focus.url, ADMIN_TOKEN, c.id);
        followers.push(f);
        cleanups.push(() => f.close());
        if (k === 0) {
          f.onEvent((e) => {
            roster.event(c.id, e);
            if (e.type === "USER_JOINED" && e.payload.user?.via === "sip") seen.sipJoins++;
            if (e.type === "USER_LEFT") seen.left++;
            if (e.type === "USER_KICKED") seen.kicked++;
          });
        }
      }
    }
    await Promise.all(followers.map((f) => f.ready));
    const broken = followers.find((f) => f.errors.length);
    if (broken) throw new SoakAborted(`a follower could not subscribe: ${broken.errors.join("; ")}`);

    // ---- load: calls, mutations, short-lived subscriptions ----
    const dialInCodes = conferences.map((c) => c.dialInCode);
    const planned = { talk: Math.round(o.talkRate * loadS), kicked: Math.round(o.kickRate * loadS) };
    const talk = new SippLoad({
      dir: join(work, "talk"), scenario: join(import.meta.dirname, "sipp", "talk.xml"), values: { HOLD_MIN_MS: o.holdMs.min, HOLD_MAX_MS: o.holdMs.max },
      audio: tone(), sipPort: focus.sipPort, dialInCodes, namePrefix: TALK_PREFIX, rate: o.talkRate, calls: planned.talk, maxCallMs: o.holdMs.max + 2_000,
    });
    // a kick that has not come long after the longest delay fails the call (sipp answers nothing else)
    const kickTimeoutMs = o.kickDelayMs.max + 25_000;
    const kicked = new SippLoad({
      dir: join(work, "kicked"), scenario: join(import.meta.dirname, "sipp", "kicked.xml"), values: { KICK_TIMEOUT_MS: kickTimeoutMs },
      sipPort: focus.sipPort, dialInCodes, namePrefix: KICK_PREFIX, rate: o.kickRate, calls: planned.kicked, maxCallMs: o.kickDelayMs.max + 2_000,
    });
    cleanups.push(() => talk.kill(), () => kicked.kill());
    const shortLived = new ShortLivedSubscriptions(focus.url, ADMIN_TOKEN, conferences.map((c) => c.id), o.shortLivedRate, o.shortLivedHoldMs);
    cleanups.push(() => shortLived.stop());
    const mutations = new MutationLoad(api, tally, roster, o.mutationRate);

    const t0 = performance.now();
    const elapsedS = () => (performance.now() - t0) / 1000;
    await Promise.all([talk.start(), kicked.start()]);
    mutations.start();
    shortLived.start();

    const heap: Sample[] = [];
    const peak = { callDialogs: 0, rtpSessions: 0, subscriptions: 0, serverTransactions: 0 };
    const note = (s: FocusSnapshot) => {
      peak.callDialogs = Math.max(peak.callDialogs, s.callDialogs);
      peak.rtpSessions = Math.max(peak.rtpSessions, s.rtpSessions);
      peak.subscriptions = Math.max(peak.subscriptions, s.subscriptions);
      peak.serverTransactions = Math.max(peak.serverTransactions, s.serverTransactions);
    };
    let phase = "warm-up";
    const progress = async () => {
      const s = await scrape(focus.url).catch(() => null);
      if (!s) return;
      note(s);
      const tp = talk.progress();
      const kp = kicked.progress();
      const m = tally.total();
      const events = followers.filter((_, i) => i % o.longLivedPerConference === 0).reduce((n, f) => n + f.check.events, 0);
      const mm = String(Math.floor(elapsedS() / 60)).padStart(2, "0");
      const ss = String(Math.floor(elapsedS() % 60)).padStart(2, "0");
      log(
        `[soak ${mm}:${ss} ${phase}] calls ${(tp?.successful ?? 0) + (kp?.successful ?? 0)} ok / ${(tp?.failed ?? 0) + (kp?.failed ?? 0)} failed, ` +
        `up ${s.callDialogs} (rtp ${s.rtpSessions}); mutations ${m.sent} (${m.failed} failed); events ${events}; ` +
        `subscriptions ${s.subscriptions} on ${s.wsConnections} ws; heap ${MiB(s.heapUsed)} MiB, rss ${MiB(focus.rss())} MiB; ` +
        `dialogs ${s.callDialogs + s.subscriptionDialogs}, transactions ${s.serverTransactions + s.clientTransactions}`,
      );
    };
    const progressTimer = setInterval(() => void progress(), o.progressEveryS * 1000);
    cleanups.push(() => clearInterval(progressTimer));
    // heap samples: one after a forced full GC every sampleEveryS, through warm-up and steady load
    let sampling = true;
    cleanups.push(() => {
      sampling = false;
    });
    const sampler = (async () => {
      while (sampling) {
        await sleep(o.sampleEveryS * 1000);
        if (!sampling) return;
        try {
          await inspector.collectGarbage();
          const s = await scrape(focus.url);
          note(s);
          heap.push({ t: (s.at - t0) / 1000, value: s.heapUsed });
        } catch (err) {
          log(`soak: heap sample failed: ${(err as Error).message}`);
        }
      }
    })();

    await sleep(o.warmupS * 1000);
    phase = "steady";
    log(`soak: warm-up over at ${elapsedS().toFixed(0)} s, steady load for ${o.steadyS} s`);
    await sleep(o.steadyS * 1000);
    const steady = { from: o.warmupS, to: elapsedS() };

    // ---- drain: no new mutations or subscriptions; sipp places no more calls and its calls end ----
    phase = "drain";
    sampling = false;
    await sampler;
    log(`soak: steady load over at ${elapsedS().toFixed(0)} s; draining`);
    await Promise.all([mutations.stop(), shortLived.stop()]);
    const [talkResult, kickedResult] = await Promise.all([talk.finished(), kicked.finished()]);
    log(`soak: sipp done at ${elapsedS().toFixed(0)} s: talk ${talkResult.successful}/${planned.talk}, kicked ${kickedResult.successful}/${planned.kicked}`);
    const kicksWaiting = kicker.waiting;
    kicker.stop();
    await tally.settled();

    // every follower catches up with its conference's log, then is compared with it
    const followerReports: FollowerReport[] = [];
    for (const f of followers) {
      const version = f.check.version ?? 0;
      const logged = await logAfter(api, f.conferenceId, version);
      if (logged.length) await f.reached(logged[logged.length - 1]!.seq, 15_000);
      const bySeq = new Map(logged.map((e) => [e.seq, e.type]));
      const matching = f.received.filter((e) => bySeq.get(e.seq) === e.type).length;
      followerReports.push({
        conferenceId: f.conferenceId, version, events: f.check.events, gaps: f.check.gaps, duplicates: f.check.duplicates, resyncs: f.check.resyncs,
        errors: f.errors, completedEarly: f.completed, logEvents: logged.length, matching, extra: f.received.length - matching,
      });
    }
    for (const f of followers) await f.close();

    // the focus settles: calls gone, transactions past their lingering timers, sockets closed
    const settleStart = performance.now();
    const settleBound = LINGER_MS + 5_000 /* T4 */ + KEEP_ALIVE_MS + 15_000;
    let final = await scrape(focus.url);
    while (!settled(final, baseline, RESOURCE_ALLOWANCE) && performance.now() - settleStart < settleBound) {
      await sleep(1000);
      final = await scrape(focus.url);
    }
    const settleMs = performance.now() - settleStart;
    await inspector.collectGarbage();
    final = { ...(await scrape(focus.url)), at: final.at };
    const rssEnd = focus.rss();
    log(`soak: settled in ${(settleMs / 1000).toFixed(1)} s; heap ${MiB(final.heapUsed)} MiB, handles ${JSON.stringify(final.resources)}`);

    for (const c of cleanups.splice(0).reverse()) await c();
    focusExit = await focus.stop();
    // sipp's files are kept when a call failed: its error file says why
    if (talkResult.exitCode === 0 && kickedResult.exitCode === 0) rmSync(work, { recursive: true, force: true });
    else log(`soak: sipp's files kept in ${work}`);
    return {
      options, databaseUrl, planned, talk: talkResult, kicked: kickedResult,
      mutations: { byKind: tally.byKind, total: tally.total(), pending: tally.pending, failures: tally.failures, churnCreated: mutations.created, churnDeleted: mutations.deleted },
      kicks: { scheduled: kicker.scheduled, waiting: kicksWaiting }, followers: followerReports, seen, shortLived: shortLived.tally,
      baseline, final, settleMs, heap, steady, peak, rss: { start: rssStart, end: rssEnd }, focusExit, durationS: (performance.now() - startedAt) / 1000,
    };
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch {
        // cleaning up after a failure: the first error is the one reported
      }
    }
    if (focusExit === null) await focus.stop();
  }
}
