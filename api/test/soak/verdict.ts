/**
 * Judges a soak report: every call, mutation and event accounted for, nothing left behind after the
 * drain, and no upward trend of the heap under steady load. Returns the failed checks (none: passed) and a
 * summary of the figures.
 */
import { RESOURCE_ALLOWANCE, resourceExcess, type SoakReport } from "./driver.ts";
import { leastSquaresSlope, residualStd, secondHalf } from "./trend.ts";

const MiB = 1048576;

/**
 * The heap may grow by at most this much per 10 minutes under steady load (measured after a forced full
 * GC, least-squares over the second half of the steady phase). At the default 2 calls a second that is a
 * leak of under 1.7 KiB per call (1,200 calls per 10 minutes), the size of one SIP message kept by mistake;
 * a leaked call (its dialog, transactions, RTP socket and jitter buffer) is far more.
 */
export const HEAP_SLOPE_LIMIT_MIB_PER_10_MIN = 2;
/**
 * Over a short window the line is fitted through drift, not a trend: even after a full GC the heap moves by
 * a MiB or two as V8 compiles or drops code and feedback, and as caches (Prisma's, GraphQL's parsed
 * documents) and pooled buffers fill; the samples' spread around the line is about 0.2 MiB. A slope that
 * adds less than this over the whole window cannot be told from that, so the limit is never below it
 * spread over the window. The CI variant (a window of about 35 s) therefore only catches gross leaks, of
 * the order of 100 KiB per call; from a window of about 40 minutes up (`npm run soak -- --minutes 80`)
 * the rate above applies, and the one-hour run's 30-minute window is held to 2.7 MiB per 10 minutes.
 */
export const HEAP_NOISE_MIB = 8;

export interface HeapTrend {
  /** bytes per second */
  slope: number;
  /** bytes per second */
  limit: number;
  samples: number;
  windowS: number;
  /** bytes: the samples' spread around the fitted line */
  noise: number;
}

export function heapTrend(r: SoakReport): HeapTrend {
  const samples = secondHalf(r.heap, r.steady.from, r.steady.to);
  const windowS = samples.length > 1 ? samples[samples.length - 1]!.t - samples[0]!.t : 0;
  const limit = Math.max(HEAP_SLOPE_LIMIT_MIB_PER_10_MIN * MiB / 600, windowS > 0 ? HEAP_NOISE_MIB * MiB / windowS : Number.POSITIVE_INFINITY);
  return { slope: leastSquaresSlope(samples), limit, samples: samples.length, windowS, noise: residualStd(samples) };
}

export function judge(r: SoakReport): string[] {
  const fail: string[] = [];
  const expect = (ok: boolean, what: string) => {
    if (!ok) fail.push(what);
  };

  // calls: sipp's own count of each class, then the focus' count of the same calls
  for (const [name, res, planned] of [["talk", r.talk, r.planned.talk], ["kicked", r.kicked, r.planned.kicked]] as const) {
    expect(res.created === planned, `${name} calls: sipp created ${res.created} of ${planned}`);
    expect(res.successful + res.failed === res.created, `${name} calls: ${res.successful} successful + ${res.failed} failed != ${res.created} created`);
    expect(res.failed === 0, `${name} calls: ${res.failed} failed ${JSON.stringify(res.failures)}\n${res.diagnostics}`);
    expect(res.exitCode === 0, `${name} calls: sipp exited ${res.exitCode}\n${res.diagnostics}`);
  }
  const calls = r.talk.successful + r.kicked.successful;
  const sipJoins = r.final.sipJoins - r.baseline.sipJoins;
  expect(sipJoins === calls, `the focus let in ${sipJoins} SIP callers (focus_users_joined_total{via="sip"}), sipp completed ${calls} calls`);
  expect(r.seen.sipJoins === calls, `the followers saw ${r.seen.sipJoins} SIP callers join, sipp completed ${calls} calls`);
  expect(r.seen.left === r.talk.successful, `the followers saw ${r.seen.left} callers leave, ${r.talk.successful} talk calls hung up`);
  expect(r.seen.kicked === r.kicked.successful, `the followers saw ${r.seen.kicked} callers kicked, ${r.kicked.successful} kicked calls completed`);
  const kicks = r.mutations.byKind.kick ?? { sent: 0, ok: 0, failed: 0 };
  expect(kicks.ok === r.kicked.successful && r.kicks.scheduled === kicks.sent, `kicks: ${r.kicks.scheduled} scheduled, ${kicks.sent} sent, ${kicks.ok} ok; ${r.kicked.successful} kicked calls completed`);
  expect(r.kicks.waiting === 0, `${r.kicks.waiting} kicks were still waiting when the kicked calls were over`);

  // mutations: each one answered, none refused
  const m = r.mutations.total;
  expect(r.mutations.pending === 0 && m.ok + m.failed === m.sent, `mutations: ${m.sent} sent, ${m.ok} ok + ${m.failed} failed, ${r.mutations.pending} unanswered`);
  expect(m.failed === 0, `mutations: ${m.failed} failed: ${r.mutations.failures.join("; ")}`);
  expect(r.mutations.churnCreated === r.mutations.churnDeleted, `churn conferences: ${r.mutations.churnCreated} created, ${r.mutations.churnDeleted} deleted`);

  // subscriptions: each long-lived one saw its conference's log exactly; each short-lived one answered and closed
  for (const f of r.followers) {
    const id = `follower of ${f.conferenceId}`;
    expect(f.errors.length === 0 && !f.completedEarly, `${id}: ${f.completedEarly ? "ended by the server; " : ""}${f.errors.join("; ")}`);
    expect(f.gaps === 0 && f.duplicates === 0 && f.resyncs === 0, `${id}: ${f.gaps} gaps, ${f.duplicates} duplicates, ${f.resyncs} restarts`);
    expect(f.events === f.logEvents && f.matching === f.logEvents && f.extra === 0, `${id}: received ${f.events} events, the log has ${f.logEvents} after seq ${f.version}, ${f.matching} match, ${f.extra} extra`);
  }
  const s = r.shortLived;
  expect(s.opened === s.answered && s.answered === s.closed, `short-lived subscriptions: ${s.opened} opened, ${s.answered} answered, ${s.closed} closed`);
  expect(s.errors.length === 0, `short-lived subscriptions: ${s.errors.slice(0, 5).join("; ")}`);
  expect(s.gaps === 0 && s.duplicates === 0 && s.resyncs === 0, `short-lived subscriptions: ${s.gaps} gaps, ${s.duplicates} duplicates, ${s.resyncs} restarts`);

  // nothing left behind
  const f = r.final;
  expect(f.callDialogs === 0 && f.subscriptionDialogs === 0, `SIP dialogs left: ${f.callDialogs} calls, ${f.subscriptionDialogs} subscriptions`);
  expect(f.serverTransactions === 0 && f.clientTransactions === 0, `SIP transactions left: ${f.serverTransactions} server, ${f.clientTransactions} client`);
  expect(f.rtpSessions === 0, `RTP sessions left: ${f.rtpSessions}`);
  expect(f.wsConnections === 0 && f.subscriptions === 0, `GraphQL left: ${f.wsConnections} WebSocket connections, ${f.subscriptions} subscriptions`);
  const excess = resourceExcess(r.baseline, f, RESOURCE_ALLOWANCE);
  expect(excess.length === 0, `handles or timers above the baseline (+${RESOURCE_ALLOWANCE} allowed): ${excess.join(", ")}`);
  expect(r.focusExit === 0, `the focus exited ${r.focusExit} on SIGTERM`);

  // memory
  const h = heapTrend(r);
  expect(h.samples >= 3, `only ${h.samples} heap samples in the second half of the steady phase`);
  expect(!(h.slope >= h.limit), `heap grows ${(h.slope * 600 / MiB).toFixed(2)} MiB per 10 min over the second half of the steady phase (limit ${(h.limit * 600 / MiB).toFixed(2)})`);
  return fail;
}

/** The figures of a run, for the log and the report. */
export function summary(r: SoakReport): string {
  const h = heapTrend(r);
  const m = r.mutations.total;
  const events = r.followers.filter((_, i) => i % r.options.longLivedPerConference === 0).reduce((n, f) => n + f.events, 0);
  const mib = (b: number) => (b / MiB).toFixed(1);
  return [
    `soak report (${r.durationS.toFixed(0)} s; steady ${(r.steady.to - r.steady.from).toFixed(0)} s, ${r.databaseUrl.startsWith("file:") ? "SQLite" : "PostgreSQL"})`,
    `  calls: talk ${r.talk.successful}/${r.planned.talk} ok, ${r.talk.failed} failed, ${r.talk.retransmissions} retransmissions; kicked ${r.kicked.successful}/${r.planned.kicked} ok, ${r.kicked.failed} failed; focus let in ${r.final.sipJoins - r.baseline.sipJoins}; peak ${r.peak.callDialogs} up (${r.peak.rtpSessions} with RTP)`,
    `  mutations: ${m.sent} sent, ${m.ok} ok, ${m.failed} failed (${Object.entries(r.mutations.byKind).map(([k, v]) => `${k} ${v.sent}`).join(", ")}); churn conferences ${r.mutations.churnCreated} created, ${r.mutations.churnDeleted} deleted`,
    `  events: ${events} in the call conferences, each of ${r.followers.length} long-lived subscriptions contiguous and equal to the log: ${r.followers.every((f) => f.gaps + f.duplicates + f.resyncs + f.extra === 0 && f.matching === f.logEvents) ? "yes" : "NO"}`,
    `  short-lived subscriptions: ${r.shortLived.opened} opened, ${r.shortLived.answered} answered, ${r.shortLived.closed} closed, ${r.shortLived.events} events; peak ${r.peak.subscriptions} subscriptions`,
    `  after the drain (settled in ${(r.settleMs / 1000).toFixed(1)} s): dialogs ${r.final.callDialogs + r.final.subscriptionDialogs}, transactions ${r.final.serverTransactions + r.final.clientTransactions} (peak ${r.peak.serverTransactions}), rtp ${r.final.rtpSessions}, ws ${r.final.wsConnections}, subscriptions ${r.final.subscriptions}`,
    `  handles: baseline ${JSON.stringify(r.baseline.resources)}, final ${JSON.stringify(r.final.resources)}`,
    `  heap after GC: baseline ${mib(r.baseline.heapUsed)} MiB, final ${mib(r.final.heapUsed)} MiB; slope ${(h.slope * 600 / MiB).toFixed(2)} MiB/10 min over ${h.samples} samples in ${h.windowS.toFixed(0)} s, noise ±${mib(h.noise)} MiB (limit ${(h.limit * 600 / MiB).toFixed(2)}); rss ${mib(r.rss.start)} -> ${mib(r.rss.end)} MiB`,
  ].join("\n");
}
