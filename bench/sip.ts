/**
 * SIP call-rate benchmark (`npm run bench:sip`): the focus runs as its own process (SQLite, LOG_LEVEL=warn)
 * with one conference (maxUsers 10,000); sipp (Debian sip-tester) places calls at rising rates with
 * bench/sipp/call-bench.xml (INVITE with PCMU SDP -> 200 -> ACK -> 1 s -> BYE -> 200, a distinct From user
 * per call, so every call joins the conference as a new user). In the same run, the same ramp goes through
 * Kamailio as a record-routing, loose-routing front proxy (sipp -> Kamailio -> focus, with
 * bench/sipp/call-bench-proxied.xml: ACK and BYE follow the route set). The peer comparison runs both ramps
 * again with sipp as the UAS (bench/sipp/uas-bench.xml: answers like the focus, copies Record-Route): sipp
 * UAS directly, and Kamailio -> sipp UAS through a second, identical Kamailio. All four ramps take turns rate
 * by rate in one run; each stops at the first rate with a failed call, retransmissions above 1 % of calls,
 * or an achieved rate below 90 % of the target. The headline (bench/.headlines/sip.sqlite.json) is the
 * highest rate with no failed call, ours beside sipp's, direct and behind Kamailio.
 * Prints a table and rewrites the "## SIP (npm run bench:sip)" section of bench/RESULTS.md (others kept).
 * Everything runs on 127.0.0.1; every child process is killed at the end and the script exits by itself.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { freeUdpPort } from "../api/test/support/net.ts";
import { kamailioVersion as kamailioVersionOf, startKamailio, type KamailioProxy } from "../media/test/support/kamailio.ts";
import { processCpuSeconds, processRssMiB, repo, sqliteDatabase, startFocusProcess, type Database, type FocusProcess } from "./lib/focus.ts";
import { machine, ms, percentile, table, writeResults } from "./lib/report.ts";
import { GraphQLHttp } from "./lib/graphql.ts";
import { writeHeadlines, type Headline } from "./lib/headlines.ts";

// ---- parameters (fixed, so runs compare) ----
const ADMIN_TOKEN = "dcon_bench-admin-secret-0123456789abcdefghijklmn";
const RATES = [25, 50, 100, 200, 400, 800, 1600, 3200, 6400];
/** seconds of calls per step: -m = rate * CALL_SECONDS */
const CALL_SECONDS = 5;
/** sipp's global -timeout per step (bounded so the whole run stays under 5 minutes) */
const STEP_TIMEOUT_S = 15;
/** stop starting new steps after this much wall time (s): four ramps (focus and sipp UAS, each direct and behind Kamailio) */
const BUDGET_S = 240;
const WATCHDOG_MS = 280_000;
const MAX_RETRANS_RATIO = 0.01;
const MIN_ACHIEVED_RATIO = 0.9;
const SCENARIO = join(repo, "bench", "sipp", "call-bench.xml");
const SCENARIO_PROXIED = join(repo, "bench", "sipp", "call-bench-proxied.xml");
const SCENARIO_UAS = join(repo, "bench", "sipp", "uas-bench.xml");
/** Kamailio worker processes per transport in front of the focus (routing log off) */
const KAMAILIO_CHILDREN = 4;

const started = performance.now();
const elapsedS = () => (performance.now() - started) / 1000;
const log = (msg: string) => process.stdout.write(`[bench:sip ${elapsedS().toFixed(1).padStart(5)}s] ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const PEERS = ["focus", "sipp UAS", "focus behind Kamailio", "sipp UAS behind Kamailio"] as const;
type Peer = (typeof PEERS)[number];
const DIRS: Record<Peer, string> = { focus: "focus", "sipp UAS": "uas", "focus behind Kamailio": "kamailio", "sipp UAS behind Kamailio": "kamailio-uas" };
const PROXIED: ReadonlySet<Peer> = new Set<Peer>(["focus behind Kamailio", "sipp UAS behind Kamailio"]);
const isFocus = (peer: Peer) => peer === "focus" || peer === "focus behind Kamailio";

interface Step {
  peer: Peer;
  rate: number;
  calls: number;
  successful: number;
  failed: number;
  retransmissions: number;
  /** INVITEs answered per second, from the rtt trace (first to last 200 OK) */
  achieved: number;
  median: number;
  p99: number;
  max: number;
  /** ResponseTime1(C) from stat.csv (mean, ms) */
  mean: number;
  samples: number;
  sippExit: number | null;
  /** focus CPU time / wall time over the step (focus and focus behind Kamailio) */
  focusCpu: number;
  focusRss: number;
  stop: string | null;
}

/** "hh:mm:ss:uuuuuu" -> ms */
function duration(s: string | undefined): number {
  const p = (s ?? "").split(":").map(Number);
  if (p.length !== 4 || p.some((n) => !Number.isFinite(n))) return Number.NaN;
  return ((p[0]! * 60 + p[1]!) * 60 + p[2]!) * 1000 + p[3]! / 1000;
}

function lastStatRow(file: string): Map<string, string> {
  const lines = readFileSync(file, "utf8").split("\n").filter((l) => l.trim());
  const head = lines[0]!.split(";");
  const row = lines[lines.length - 1]!.split(";");
  return new Map(head.map((h, i) => [h, row[i] ?? ""]));
}

const children = new Set<ChildProcess>();
/** set once cleanup starts: a step finishing during it (its sipp killed) must not start the next one */
let stopping = false;

class StoppingError extends Error {
  constructor() {
    super("stopping: no new sipp");
  }
}


function run(args: string[], cwd: string, killAfterMs: number): Promise<{ code: number | null; output: string }> {
  if (stopping) return Promise.reject(new StoppingError());
  const child = spawn("sipp", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let output = "";
  const keep = (d: Buffer) => {
    output += d.toString();
    if (output.length > 100_000) output = output.slice(-50_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
  return new Promise((resolve) =>
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code: code ?? (signal ? -1 : null), output });
    }),
  );
}

/** sipp as the UAS (bench/sipp/uas-bench.xml) on 127.0.0.1:port, kept running for the whole comparison. */
async function startUas(port: number, cwd: string): Promise<ChildProcess> {
  const mediaPort = await freeUdpPort(4);
  if (stopping) throw new StoppingError();
  const child = spawn("sipp", ["-sf", SCENARIO_UAS, "-i", "127.0.0.1", "-p", String(port), "-mi", "127.0.0.1", "-mp", String(mediaPort), "-nostdin"], {
    cwd,
    stdio: ["ignore", "ignore", "ignore"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  await sleep(300);
  if (child.exitCode !== null) throw new Error(`sipp UAS exited (${child.exitCode})`);
  return child;
}

async function step(peer: Peer, target: number, service: string, rate: number, work: string, focus: FocusProcess | null): Promise<Step> {
  const dir = join(work, `${DIRS[peer]}-${rate}`);
  mkdirSync(dir);
  const calls = rate * CALL_SECONDS;
  const port = await freeUdpPort();
  const mediaPort = await freeUdpPort(4);
  const args = [
    `127.0.0.1:${target}`, "-sf", PROXIED.has(peer) ? SCENARIO_PROXIED : SCENARIO, "-s", service, "-i", "127.0.0.1", "-p", String(port), "-mi", "127.0.0.1", "-mp", String(mediaPort),
    "-r", String(rate), "-m", String(calls), "-l", String(rate * 2), "-timeout", `${STEP_TIMEOUT_S}s`, "-timeout_error", "-nostdin",
    "-trace_stat", "-stf", "stat.csv", "-trace_rtt", "-rtt_freq", "1", "-trace_err", "-error_file", "errors.log",
  ];
  const cpu0 = focus ? processCpuSeconds(focus.pid) : Number.NaN;
  const t0 = performance.now();
  const r = await run(args, dir, (STEP_TIMEOUT_S + 10) * 1000);
  const wall = (performance.now() - t0) / 1000;
  const focusCpu = focus ? (processCpuSeconds(focus.pid) - cpu0) / wall : Number.NaN;
  let stat: Map<string, string>;
  try {
    stat = lastStatRow(join(dir, "stat.csv"));
  } catch (err) {
    throw new Error(`${peer} at ${rate}/s: no stat.csv (sipp exit ${r.code}): ${r.output.slice(-1500)}`);
  }
  const num = (k: string) => Number(stat.get(k) ?? Number.NaN);
  const rtts: number[] = [];
  const answered: number[] = [];
  const rttFile = readdirSync(dir).find((f) => f.endsWith("_rtt.csv"));
  if (rttFile) {
    for (const line of readFileSync(join(dir, rttFile), "utf8").split("\n").slice(1)) {
      const [at, rt] = line.split(";");
      if (!at || rt === undefined || rt === "") continue;
      answered.push(Number(at));
      rtts.push(Number(rt));
    }
  }
  const sorted = Float64Array.from(rtts).sort();
  const span = answered.length > 1 ? (Math.max(...answered) - Math.min(...answered)) / 1000 : Number.NaN;
  const successful = num("SuccessfulCall(C)");
  const failed = num("FailedCall(C)");
  const retransmissions = num("Retransmissions(C)");
  const achieved = span > 0 ? (answered.length - 1) / span : Number.NaN;
  let stop: string | null = null;
  if (failed > 0 || r.code !== 0 || successful < calls) {
    let errs = "";
    try {
      errs = readFileSync(join(dir, "errors.log"), "utf8");
    } catch {
      // none
    }
    stop = `${failed} failed call(s), ${calls - successful - failed} unfinished when sipp stopped (${successful}/${calls} successful, sipp exit ${r.code}${r.code === 255 ? ": the -timeout was reached" : ""})`;
    if (errs) log(`  ${peer} errors (tail): ${errs.slice(-600).replace(/\s+/g, " ")}`);
    log(`  sipp output (tail): ${r.output.slice(-800).replace(/\s+/g, " ")}`);
  } else if (retransmissions > MAX_RETRANS_RATIO * calls) stop = `${retransmissions} retransmissions (> ${MAX_RETRANS_RATIO * 100}% of calls)`;
  else if (!(achieved >= MIN_ACHIEVED_RATIO * rate)) stop = `sipp reached only ${achieved.toFixed(0)} calls/s`;
  return {
    peer,
    rate,
    calls,
    successful,
    failed,
    retransmissions,
    achieved,
    median: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    mean: duration(stat.get("ResponseTime1(C)")),
    samples: rtts.length,
    sippExit: r.code,
    focusCpu,
    focusRss: focus ? processRssMiB(focus.pid) : Number.NaN,
    stop,
  };
}

/** A process that finished starting after cleanup ran (a signal during its start) is stopped at once. */
async function stopIfLate(p: { stop(): Promise<void> }): Promise<void> {
  if (!stopping) return;
  await p.stop().catch(() => {});
  throw new StoppingError();
}

async function main(): Promise<void> {
  let database: Database | null = null;
  let focus: FocusProcess | null = null;
  let kamailio: KamailioProxy | null = null;
  let kamailioUas: KamailioProxy | null = null;
  const work = mkdtempSync(join(os.tmpdir(), "dcon-bench-sip-"));
  let cleaned: Promise<void> | null = null;
  const cleanup = () =>
    (cleaned ??= (async () => {
      stopping = true;
      for (const c of children) c.kill("SIGKILL");
      await kamailio?.stop().catch(() => {});
      await kamailioUas?.stop().catch(() => {});
      await focus?.stop().catch(() => {});
      await database?.dispose().catch(() => {});
      if (process.env.BENCH_KEEP) log(`kept sipp files in ${work}`);
      else rmSync(work, { recursive: true, force: true });
    })());
  const watchdog = setTimeout(() => {
    process.stderr.write(`[bench:sip] watchdog: still running after ${WATCHDOG_MS / 1000} s; giving up\n`);
    void cleanup().finally(() => process.exit(3));
  }, WATCHDOG_MS);
  watchdog.unref();
  const onSignal = (signal: string) => {
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const steps: Step[] = [];
  const load0 = os.loadavg()[0]!;
  let sipVersion = "sipp";
  let kamailioVersion = "Kamailio";
  try {
    const v = await run(["-v"], work, 5000);
    sipVersion = /SIPp v[^\s]+/.exec(v.output)?.[0]?.replace(/\.$/, "") ?? "sipp";
    database = sqliteDatabase();
    const sipPort = await freeUdpPort();
    const t0 = performance.now();
    // BFCP on a free port too: its default (5072) may be held by another focus on the machine
    const bfcpPort = await freeUdpPort();
    focus = await startFocusProcess({ DATABASE_URL: database.url, ADMIN_TOKEN, ISLAND: "bench.local", SIP_PORT: String(sipPort), BFCP_PORT: String(bfcpPort), LOG_LEVEL: "warn" });
    await stopIfLate(focus);
    log(`focus pid ${focus.pid} on ${focus.url}, SIP on 127.0.0.1:${sipPort} (started in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    // one conference per focus ramp, so that the proxied ramp's callers (bench-1, bench-2, ... again) never meet
    // the direct ramp's users, and each roster grows the same way
    const createConference = async (subject: string): Promise<string> => {
      const data = await new GraphQLHttp(focus!.url, ADMIN_TOKEN).gql<{ createConference: { id: string; dialInCode: string } }>(
        `mutation($input: ConferenceInput!) { createConference(input: $input) { id dialInCode } }`,
        { input: { subject, durationMin: 24 * 60, maxUsers: 10_000 } },
      );
      log(`conference "${subject}" ${data.createConference.id}, dial-in code ${data.createConference.dialInCode}`);
      return data.createConference.dialInCode;
    };
    const code = await createConference("bench sip");
    const proxiedCode = await createConference("bench sip behind Kamailio");
    const uasPort = await freeUdpPort();
    const uasDir = join(work, "uas");
    mkdirSync(uasDir);
    await startUas(uasPort, uasDir);
    log(`sipp UAS on 127.0.0.1:${uasPort}`);
    // two identical proxies, one per ramp behind Kamailio, so neither ramp finds state left by the other
    kamailio = await startKamailio(sipPort, { children: KAMAILIO_CHILDREN, routeLog: false });
    await stopIfLate(kamailio);
    kamailioVersion = kamailioVersionOf();
    log(`${kamailioVersion} (pid ${kamailio.pid}) on 127.0.0.1:${kamailio.port} in front of the focus`);
    kamailioUas = await startKamailio(uasPort, { children: KAMAILIO_CHILDREN, routeLog: false });
    await stopIfLate(kamailioUas);
    log(`${kamailioVersion} (pid ${kamailioUas.pid}) on 127.0.0.1:${kamailioUas.port} in front of sipp UAS`);
    const targets: Record<Peer, number> = {
      focus: sipPort,
      "sipp UAS": uasPort,
      "focus behind Kamailio": kamailio.port,
      "sipp UAS behind Kamailio": kamailioUas.port,
    };

    const stopped: Record<Peer, boolean> = { focus: false, "sipp UAS": false, "focus behind Kamailio": false, "sipp UAS behind Kamailio": false };
    for (const rate of RATES) {
      for (const peer of PEERS) {
        if (stopped[peer]) continue;
        // a step takes about CALL_SECONDS + the 1 s pause + its tail
        if (elapsedS() + CALL_SECONDS + 4 > BUDGET_S) {
          log(`${peer}: time budget reached before ${rate}/s`);
          stopped[peer] = true;
          continue;
        }
        log(`${peer}: ${rate} calls/s, ${rate * CALL_SECONDS} calls ...`);
        const s = await step(peer, targets[peer], peer === "focus behind Kamailio" ? proxiedCode : code, rate, work, isFocus(peer) ? focus : null);
        steps.push(s);
        log(
          `  ${s.successful}/${s.calls} ok, ${s.failed} failed, ${s.retransmissions} retrans, achieved ${s.achieved.toFixed(0)}/s, ` +
            `INVITE->200 median ${ms(s.median)} ms p99 ${ms(s.p99)} ms max ${ms(s.max)} ms` +
            (isFocus(peer) ? `, focus CPU ${(s.focusCpu * 100).toFixed(0)}%, RSS ${s.focusRss.toFixed(0)} MiB` : "") +
            (s.stop ? ` -> stop: ${s.stop}` : ""),
        );
        if (s.stop) stopped[peer] = true;
      }
      if (PEERS.every((p) => stopped[p])) break;
    }
  } finally {
    const focusOutput = focus?.output() ?? "";
    const kamailioErrors = [kamailio, kamailioUas].flatMap((k) => (k?.output() ?? "").split("\n")).filter((l) => /ERROR|CRITICAL|ALERT: (?!.*exited normally)/.test(l));
    await cleanup();
    if (focusOutput.trim()) log(`focus output (tail):\n${focusOutput.slice(-1500)}`);
    if (kamailioErrors.length) log(`Kamailio errors (tail):\n${kamailioErrors.slice(-10).join("\n")}`);
  }

  // ---- report ----
  const noFailure = (s: Step) => s.failed === 0 && s.successful === s.calls;
  /**
   * Highest rate with no failed (or unfinished) call. "Open" ("≥") when no call of the ramp ever failed: it
   * ended on the time budget, the rate list, or the retransmission or achieved-rate rule, so the rate at
   * which calls start failing is higher than any it tried.
   */
  const best = (peer: Peer): { rate: number; open: boolean } => {
    const mine = steps.filter((s) => s.peer === peer);
    const ok = mine.filter(noFailure);
    return { rate: ok.length ? Math.max(...ok.map((s) => s.rate)) : 0, open: mine.length > 0 && mine.every(noFailure) };
  };
  const bestText = (peer: Peer) => {
    const b = best(peer);
    return `${b.open ? "≥ " : ""}${b.rate} calls/s`;
  };
  const clean = (peer: Peer) => {
    const ok = steps.filter((s) => s.peer === peer && !s.stop);
    return ok.length ? Math.max(...ok.map((s) => s.rate)) : 0;
  };
  const fmt = (s: Step | undefined, f: (s: Step) => string) => (s ? f(s) : "-");
  const rates = [...new Set(steps.map((s) => s.rate))].sort((a, b) => a - b);
  /** one table per path (direct, behind Kamailio): the focus' ramp beside sipp UAS' at each rate */
  const pathTable = (ours: Peer, peer: Peer, label: string) =>
    table(
      [
        "Calls/s (target)",
        `${label}: successful`, "failed", "retrans", "achieved/s", "INVITE→200 median ms", "p99 ms", "max ms", "focus CPU",
        "sipp UAS: successful", "failed", "retrans", "achieved/s", "INVITE→200 median ms", "p99 ms",
      ],
      rates
        .map((rate) => [steps.find((s) => s.peer === ours && s.rate === rate), steps.find((s) => s.peer === peer && s.rate === rate), rate] as const)
        .filter(([f, u]) => f || u)
        .map(([f, u, rate]) => [
          String(rate),
          fmt(f, (s) => `${s.successful}/${s.calls}`),
          fmt(f, (s) => String(s.failed)),
          fmt(f, (s) => String(s.retransmissions)),
          fmt(f, (s) => s.achieved.toFixed(0)),
          fmt(f, (s) => ms(s.median)),
          fmt(f, (s) => ms(s.p99)),
          fmt(f, (s) => ms(s.max)),
          fmt(f, (s) => `${(s.focusCpu * 100).toFixed(0)}%`),
          fmt(u, (s) => `${s.successful}/${s.calls}`),
          fmt(u, (s) => String(s.failed)),
          fmt(u, (s) => String(s.retransmissions)),
          fmt(u, (s) => s.achieved.toFixed(0)),
          fmt(u, (s) => ms(s.median)),
          fmt(u, (s) => ms(s.p99)),
        ]),
    );
  const notes: string[] = [];
  notes.push(
    `Highest rate with zero failed calls, direct: focus ${bestText("focus")}, sipp UAS ${bestText("sipp UAS")}; ` +
      `behind Kamailio: focus ${bestText("focus behind Kamailio")}, sipp UAS ${bestText("sipp UAS behind Kamailio")} (same run).`,
  );
  notes.push(
    `Highest clean rate (no failed or unfinished call, retransmissions ≤ 1 % of calls, ≥ 90 % of the target rate achieved), direct: focus ${clean("focus")} calls/s, sipp UAS ${clean("sipp UAS")} calls/s; ` +
      `behind Kamailio: focus ${clean("focus behind Kamailio")} calls/s, sipp UAS ${clean("sipp UAS behind Kamailio")} calls/s.`,
  );
  for (const s of steps) if (s.stop) notes.push(`${s.peer} stopped at ${s.rate} calls/s: ${s.stop}.`);
  for (const peer of PEERS) {
    const last = steps.filter((s) => s.peer === peer).at(-1);
    if (last && !last.stop) notes.push(`${peer} had no failure up to ${last.rate} calls/s; the ramp ended there (rate list or time budget), so its limit is higher.`);
  }
  const m = machine();
  const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const scenarioNote = `${CALL_SECONDS} s of calls per rate; each call to the focus a new user; response times nearest-rank over every call's INVITE→200 from sipp's rtt trace: whole milliseconds, and sipp's clock advances in steps of a few ms, so times under ~4 ms read as 0 or 4`;
  const body = [
    [
      `- Run: ${date}`,
      ...Object.entries(m).map(([k, v]) => `- ${k}: ${v}`),
      `- Database: ${database?.label ?? "SQLite"}`,
      `- Load generator: ${sipVersion} (Debian sip-tester), UDP; peer UAS: the same sipp with bench/sipp/uas-bench.xml`,
      `- Front proxy: ${kamailioVersion} (Debian kamailio), ${KAMAILIO_CHILDREN} UDP workers, media/test/kamailio/kamailio.cfg.tmpl without the routing log; one instance before the focus, one before sipp UAS`,
      `- Other load: 1-minute load average ${load0.toFixed(2)} at start`,
    ].join("\n"),
    `**Call rate, direct** (bench/sipp/call-bench.xml: INVITE with PCMU SDP → 200 → ACK → 1 s → BYE → 200; ${scenarioNote})\n\n${pathTable("focus", "sipp UAS", "Focus")}`,
    `**Call rate behind Kamailio** (bench/sipp/call-bench-proxied.xml: the same calls, ACK and BYE along the Record-Route; sipp → Kamailio → focus, and sipp → Kamailio → sipp UAS; ${scenarioNote})\n\n${pathTable("focus behind Kamailio", "sipp UAS behind Kamailio", "Focus behind Kamailio")}`,
    notes.map((n) => `- ${n}`).join("\n"),
  ].join("\n\n");
  process.stdout.write(`\n${body}\n\n`);

  const intro = `Method: the focus (\`node --import tsx api/src/main.ts\`, LOG_LEVEL=warn, SQLite) runs as its own process with SIP on a
free UDP port of 127.0.0.1 and one conference (maxUsers 10,000) created over GraphQL. sipp places calls with
\`bench/sipp/call-bench.xml\` (INVITE with a PCMU + telephone-event offer to the dial-in code → 200 → ACK → 1 s pause →
BYE → 200; ACK and BYE to \`sip:focus@\`, as in media/test/sipp/call.xml), From \`sip:bench-N@…\` so every call
joins the conference as a new user (a database write) and leaves with its BYE. "Behind Kamailio" runs the same ramp, in the
same run, against the same focus (a second conference, same settings), through Kamailio as a front proxy (media/test/kamailio/kamailio.cfg.tmpl:
record_route on the INVITE, loose_route for ACK and BYE, relay to the next hop over UDP) with \`bench/sipp/call-bench-proxied.xml\`,
the same calls except that ACK and BYE go to the callee's Contact with the Record-Route as Route; its INVITE→200 includes the
proxy's two hops, "focus CPU" is still the focus process' alone, and "retrans" counts only what sipp retransmitted to
the proxy (the proxy answers 100 Trying at once, which stops sipp's INVITE retransmissions, and retransmits to the focus
itself). Per rate R: \`sipp -r R -m 5R -l 2R -timeout ${STEP_TIMEOUT_S}s -timeout_error -trace_stat -trace_rtt -rtt_freq 1\`, rates
25, 50, 100, 200, … doubling; a ramp stops at the first rate with a failed call, retransmissions above 1 % of the calls, or
an achieved rate (INVITEs answered per second between the first and last 200 OK) below 90 % of the target. Counts come from
the last row of sipp's stat.csv; median/p99/max of INVITE→200 from its per-call rtt file. The peer comparison runs the
same scenarios at the same rates, in the same run, against sipp as the UAS (\`bench/sipp/uas-bench.xml\`: sipp's
built-in \`uas\` exchange without its 180, as the focus answers, and with the Record-Route copied into the 200 as RFC
3261 section 12.1.1 asks, which the built-in one omits), which answers with no state beyond the dialog: directly, and
through a second Kamailio with the same configuration. It is the ceiling the load generator, the proxy and the
loopback allow. The four ramps take turns rate by rate; the whole run is bounded to about ${BUDGET_S} s of steps.
"focus CPU" is the focus process' CPU time / wall time over the step (100% = one core). "Highest rate with zero failed
calls" reads "≥" when no call of that ramp failed (it ended on the time budget, the rate list, or the retransmission
or achieved-rate rule), so calls start failing at a higher rate.`;
  const file = join(repo, "bench", "RESULTS.md");
  writeResults(file, "## SIP (npm run bench:sip)", intro, "### SQLite (`npm run bench:sip`)", "### SQLite", body);
  log(`wrote ${file}`);
  if (steps.length > 0) {
    const headline = (figure: string, ours: Peer, peer: Peer): Headline => ({ figure, ours: bestText(ours), peer: { name: peer, value: bestText(peer) } });
    const cleanText = (peer: Peer) => `${clean(peer)} calls/s`;
    const cleanHeadline = (figure: string, ours: Peer, peer: Peer): Headline => ({ figure, ours: cleanText(ours), peer: { name: peer, value: cleanText(peer) } });
    writeHeadlines(
      "sip",
      [
        headline("SIP calls/s with no failed call, focus direct", "focus", "sipp UAS"),
        headline("SIP calls/s with no failed call, behind Kamailio", "focus behind Kamailio", "sipp UAS behind Kamailio"),
        cleanHeadline("SIP calls/s clean (no failure, retransmissions ≤ 1 %, ≥ 90 % of the rate), focus direct", "focus", "sipp UAS"),
        cleanHeadline("SIP calls/s clean (no failure, retransmissions ≤ 1 %, ≥ 90 % of the rate), behind Kamailio", "focus behind Kamailio", "sipp UAS behind Kamailio"),
      ],
      "SQLite",
    );
  }
  clearTimeout(watchdog);
  if (steps.length === 0) process.exitCode = 1;
}

main().then(
  () => {
    setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref();
  },
  (err) => {
    process.stderr.write(`[bench:sip] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
