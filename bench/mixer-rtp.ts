/**
 * Mixer over real sockets, side by side with janus (`npm run bench:mixer-rtp`): how many plain-RTP G.711
 * participants one core mixes with every participant still getting its mix every 20 ms, for our focus
 * and for Debian's `janus` (package janus) AudioBridge plugin, under the same RTP load on the same machine.
 *
 * Load (bench/lib/rtp-load.ts, in this process): N participants on 127.0.0.1, each with its own UDP
 * socket, sending one 20 ms PCMU packet every 20 ms (spread over four phases 5 ms apart); 30 % talk
 * (steady tones at about -17 dBov), the others send quiet noise (-75 dBov, what a phone sends when nobody
 * speaks). Each server mixes all N in one conference and sends every participant its N-1 mix back.
 * - focus: a focus process (api/src/main.ts, SQLite, LOG_LEVEL=warn); participants join by SIP (INVITE
 *   from our SIP stack to the conference's dial-in number, SDP offering PCMU at the participant's port).
 *   Its mixer works at 8 kHz (G.711's own rate) and mixes only who talks (its voice activity detection).
 * - janus AudioBridge: janus as a plain process (its own config in a temporary directory, only the HTTP
 *   transport and the AudioBridge plugin, no STUN/TURN, loopback only); one room with sampling_rate 8000
 *   (so G.711 is decoded to and encoded from 8 kHz PCM without resampling), participants joined as "plain
 *   RTP participants" (`join` with `rtp: {ip, port}`, codec pcmu). Without the audio-level RTP extension
 *   it mixes every participant, talking or not; its default prebuffering (6 packets) is kept.
 *
 * Both servers are pinned to the same one CPU (taskset, every thread), the load generator to the other:
 * "within one core" is then enforced, not just read off. When permitted (root) the servers and the
 * generator run at nice -10, the same for both servers, so other work on a shared machine disturbs less.
 * Sizes grow (participants are added to the running conference); at each size, after SETTLE_MS, a MEASURE_MS window is measured: the server's CPU
 * (/proc/<pid>/stat utime+stime over the window, as a share of one core), every participant's received
 * packets vs expected (window / 20 ms each) and the gaps between consecutive packets of each participant.
 *
 * Criterion, applied identically to both: a size is sustained ("on time") when
 *   - at least 99 % of the expected mixed packets arrived, and no participant got under 90 % of its own;
 *   - at most 1 % of the inter-arrival gaps exceed 40 ms (a packet more than one frame late);
 *   - the server used at most one core over the window (/proc CPU time; the pinning guarantees it, and
 *     with MIXER_RTP_PIN=0 it is this test alone).
 * A failed step is "inconclusive" rather than late when the load generator's own event loop was delayed
 * (p99 over 10 ms: other work on the machine held it up, so its reads, and the gaps, were late too) and
 * that explains the failure (see judge: a late reader shifts packets across the window's edges, it loses
 * none, so a larger shortfall of packets is still the server's); two in
 * a row end the ramp, as do a late step and a generator using over 90 % of its core (the most it can load).
 * The figure is the largest size on time with no smaller size late; it is a lower bound ("≥") when the ramp
 * ended without a late step.
 *
 * Prints a table and writes the "## Mixer over RTP, side by side with janus (npm run bench:mixer-rtp)"
 * section of bench/RESULTS.md (others kept) and the "mixer" headline. Every process it starts is stopped
 * by pid at the end (also on error or the watchdog).
 */
import { execFileSync } from "node:child_process";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { janusInstalled } from "./lib/janus.ts";
import { machineBusySeconds, processCpuSeconds, processRssMiB, repo } from "./lib/focus.ts";
import { writeHeadlines } from "./lib/headlines.ts";
import { pin, setNice, startFocusSystem, startJanusSystem, type MixerSystem } from "./lib/mixer-systems.ts";
import { machine, ms, table, writeResults } from "./lib/report.ts";
import { LATE_GAP_MS, RtpLoad, type WindowStats } from "./lib/rtp-load.ts";

// ---- parameters (fixed, so runs compare) ----
const STEPS = (process.env.MIXER_RTP_STEPS ?? "50,100,200,400,600,800,1000,1200,1500,1800,2100,2400,3000,3600,4200").split(",").map(Number);
const SETTLE_MS = 2_000;
const MEASURE_MS = 5_000;
const MIN_DELIVERED = 0.99;
const MAX_LATE = 0.01;
/** the server's CPU over the window, as a share of one core */
const MAX_SERVER_CPU = 1.0;
/** the generator's event-loop delay p99 above which a failed step is not blamed on the server */
const GEN_MAX_LOOP_P99_MS = 10;
/** consecutive inconclusive steps that end a ramp */
const MAX_INCONCLUSIVE = 2;
const GEN_MAX_CPU = 0.9;
const SAMPLING_RATE = 8000;
const JOIN_CONCURRENCY = 16;
/**
 * the servers' CPU and the load generator's (two different cores). MIXER_RTP_PIN=0 leaves every process
 * free to run on any CPU (for a machine busy with other work, where a pinned process cannot move away from
 * a loaded CPU); "within one core" is then the CPU criterion alone.
 */
const PINNED = process.env.MIXER_RTP_PIN !== "0";
const SERVER_CPU = PINNED ? "1" : "0-1023";
const GEN_CPU = PINNED ? "0" : "0-1023";
/**
 * The servers and the load generator run at this nice value when permitted (root): the same for both
 * servers, so that other work on a shared machine disturbs the measurement less.
 */
const NICE = -10;
const FOCUS_RTP: [number, number] = [10000, 19999];
const JANUS_RTP: [number, number] = [21000, 29999];
/** a ramp gives up starting new sizes after this long (the whole run stays under about 10 minutes) */
const RAMP_BUDGET_MS = 240_000;
const WATCHDOG_MS = 600_000;
const HEADING = "## Mixer over RTP, side by side with janus (npm run bench:mixer-rtp)";

const started = performance.now();
const log = (msg: string) => process.stdout.write(`[bench:mixer-rtp ${((performance.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Step extends WindowStats {
  system: string;
  n: number;
  serverCpu: number;
  serverRssMiB: number;
  /** other processes' CPU during the window, in cores (the machine's busy time minus server and generator) */
  otherCores: number;
  joinMs: number;
  /** 1, or 2 when the first window failed and was measured again */
  windowNo: number;
  verdict: "on time" | "late" | "inconclusive" | "generator-limited";
  why: string;
}

/**
 * A step is "on time" when the server passed; "late" when it failed and the generator's delays cannot
 * explain it; "inconclusive" when the generator's own loop was delayed (other work on the machine) and
 * that explains the failure: its reads were late, so the gaps say nothing of the server, and a reader
 * delayed by at most D ms shifts reads across the window's edges by at most D / window of a
 * participant's packets (it loses none: the socket buffers hold them), so a larger shortfall is the
 * server's; "generator-limited" when the generator used its whole core (the ramp cannot go further).
 */
function judge(s: WindowStats, serverCpu: number): { verdict: Step["verdict"]; why: string } {
  const bad: string[] = [];
  if (serverCpu > MAX_SERVER_CPU) bad.push(`server at ${(serverCpu * 100).toFixed(0)} % of one core`);
  const shortDelivery = !(s.deliveredShare >= MIN_DELIVERED) || s.starved > 0;
  if (!(s.deliveredShare >= MIN_DELIVERED)) bad.push(`${(s.deliveredShare * 100).toFixed(1)} % delivered`);
  if (s.starved > 0) bad.push(`${s.starved} participants under 90 %`);
  if (!(s.lateShare <= MAX_LATE)) bad.push(`${(s.lateShare * 100).toFixed(1)} % of gaps > ${LATE_GAP_MS} ms`);
  if (s.genCpu > GEN_MAX_CPU) return { verdict: "generator-limited", why: [`generator at ${(s.genCpu * 100).toFixed(0)} % of its core`, ...bad].join("; ") };
  if (bad.length === 0) return { verdict: "on time", why: "" };
  const shift = s.genLoopMaxMs / s.windowMs;
  const explained = serverCpu <= MAX_SERVER_CPU && (!shortDelivery || 1 - s.worstParticipantShare <= shift);
  if (s.genLoopP99Ms > GEN_MAX_LOOP_P99_MS && explained) return { verdict: "inconclusive", why: [`generator loop delay p99 ${ms(s.genLoopP99Ms)} ms`, ...bad].join("; ") };
  return { verdict: "late", why: bad.join("; ") };
}

async function measureStep(system: MixerSystem, load: RtpLoad, n: number, joinMs: number, windowNo: number): Promise<Step> {
  const cpu0 = processCpuSeconds(system.pid);
  const busy0 = machineBusySeconds();
  const w0 = performance.now();
  const stats = await load.measure(MEASURE_MS);
  const wallS = (performance.now() - w0) / 1000;
  const serverCpu = (processCpuSeconds(system.pid) - cpu0) / wallS;
  const otherCores = Math.max(0, (machineBusySeconds() - busy0) / wallS - serverCpu - stats.genCpu);
  const { verdict, why } = judge(stats, serverCpu);
  return { ...stats, system: system.name, n, serverCpu, serverRssMiB: processRssMiB(system.pid), otherCores, joinMs, windowNo, verdict, why };
}

async function ramp(system: MixerSystem, load: RtpLoad): Promise<{ steps: Step[]; end: string }> {
  const steps: Step[] = [];
  const rampStart = performance.now();
  let end = `largest size tried (${STEPS[STEPS.length - 1]})`;
  for (const n of STEPS) {
    if (performance.now() - rampStart > RAMP_BUDGET_MS) {
      end = `time limit of the ramp (N = ${n} not tried)`;
      break;
    }
    const t0 = performance.now();
    const pending: Promise<void>[] = [];
    let failed: unknown = null;
    const joinOne = async () => {
      const leg = await load.add();
      const port = await system.join(leg);
      await load.connect(leg, port);
    };
    let launched = load.size;
    while (launched < n && failed === null) {
      launched++;
      pending.push(joinOne().catch((err) => void (failed ??= err)));
      if (pending.length >= JOIN_CONCURRENCY) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    if (failed !== null) {
      end = `joining participant ${load.size} failed at N = ${n}: ${failed instanceof Error ? failed.message : String(failed)}`;
      log(`${system.name}: ${end}`);
      break;
    }
    const joinMs = performance.now() - t0;
    await sleep(SETTLE_MS);
    // a failed window is measured once more, the same for both servers: one disturbance from other work on
    // the machine should not end a ramp; the second window's result stands
    let step = await measureStep(system, load, n, joinMs, 1);
    if (step.verdict === "late" || step.verdict === "inconclusive") {
      log(`${system.name} N=${String(n).padStart(4)}: ${step.verdict} (${step.why}), measuring again`);
      step = await measureStep(system, load, n, joinMs, 2);
    }
    steps.push(step);
    const { verdict, why } = step;
    log(
      `${system.name} N=${String(n).padStart(4)}: CPU ${(step.serverCpu * 100).toFixed(0)} %, delivered ${(step.deliveredShare * 100).toFixed(2)} % (worst ${(step.worstParticipantShare * 100).toFixed(0)} %), ` +
        `gap p50 ${ms(step.gapMedianMs)} p99 ${ms(step.gapP99Ms)} max ${ms(step.gapMaxMs)} ms, late ${(step.lateShare * 100).toFixed(2)} %, ` +
        `generator CPU ${(step.genCpu * 100).toFixed(0)} % loop delay p99 ${ms(step.genLoopP99Ms)} ms, other ${step.otherCores.toFixed(2)} cores -> ${verdict}${why ? ` (${why})` : ""}`,
    );
    if (verdict === "late" || verdict === "generator-limited") {
      end = verdict === "late" ? `not on time at N = ${n}` : `load generator at its limit at N = ${n}`;
      break;
    }
    if (steps.slice(-MAX_INCONCLUSIVE).filter((x) => x.verdict === "inconclusive").length >= MAX_INCONCLUSIVE) {
      end = `${MAX_INCONCLUSIVE} inconclusive steps in a row at N = ${n} (the load generator was delayed by other work)`;
      break;
    }
  }
  return { steps, end };
}

/**
 * The largest N on time with no smaller size late (inconclusive sizes neither count nor break the run);
 * `atLeast` when the ramp ended without a late size (generator limit, inconclusive steps, largest size).
 */
function best(steps: Step[]): { n: number; atLeast: boolean } {
  let n = 0;
  for (const s of steps) {
    if (s.verdict === "late") return { n, atLeast: false };
    if (s.verdict === "on time") n = s.n;
  }
  return { n, atLeast: true };
}

const pct = (v: number, digits = 1) => (Number.isFinite(v) ? `${(v * 100).toFixed(digits)}` : "-");

async function main(): Promise<void> {
  if (!janusInstalled()) throw new Error("janus is not installed: apt-get install -y --no-install-recommends janus");
  const m = machine();
  const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  log(`${m.CPU}, ${m.Cores} cores, ${m.Memory}, Node ${m.Node}; ${PINNED ? `servers pinned to CPU ${SERVER_CPU}, load generator to CPU ${GEN_CPU}` : "nothing pinned"}`);
  if (PINNED) pin(process.pid, GEN_CPU);
  const niced = setNice(process.pid, NICE);
  log(niced ? `servers and load generator at nice ${NICE}` : `not permitted to set nice ${NICE}: everything runs at the default priority`);
  const load0 = os.loadavg()[0]!;

  const results: { system: string; steps: Step[]; end: string }[] = [];
  const starters: [string, () => Promise<MixerSystem>][] = [
    ["focus", () => startFocusSystem({ cpus: SERVER_CPU, nice: NICE, rtpPorts: FOCUS_RTP })],
    ["janus AudioBridge", () => startJanusSystem({ cpus: SERVER_CPU, nice: NICE, rtpPorts: JANUS_RTP, samplingRate: SAMPLING_RATE })],
  ];
  let running: MixerSystem | null = null;
  let load: RtpLoad | null = null;
  const cleanup = async () => {
    load?.close();
    load = null;
    const r = running;
    running = null;
    await r?.stop();
  };
  const watchdog = setTimeout(() => {
    log(`watchdog: still running after ${WATCHDOG_MS / 1000} s, giving up`);
    void cleanup().finally(() => process.exit(2));
  }, WATCHDOG_MS);
  watchdog.unref();
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      log(`${sig}: stopping`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  try {
    // MIXER_RTP_SYSTEMS=janus (or focus) runs one ramp only, for a quick look; the report needs both
    const only = process.env.MIXER_RTP_SYSTEMS;
    for (const [name, start] of starters.filter(([name]) => !only || name.startsWith(only))) {
      const t0 = performance.now();
      running = await start();
      log(`${name} started, pid ${running.pid} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      load = new RtpLoad({ talking: 0.3, quietDbov: -75 });
      load.start();
      // each ramp runs until its own end (neither is cut at the other's figure)
      const r = await ramp(running, load);
      results.push({ system: name, ...r });
      log(`${name}: ${r.end}`);
      await cleanup();
    }
  } finally {
    await cleanup();
    clearTimeout(watchdog);
  }

  // ---- report ----
  const head = ["System", "Participants", "Server CPU % of one core", "Participants per core (N / CPU)", "Server RSS MiB", "Delivered %", "Worst participant %", "Gap p50 ms", "Gap p99 ms", "Gap max ms", `Gaps > ${LATE_GAP_MS} ms %`, "Generator CPU % / loop delay p99 ms", "Other load (cores)", "Verdict"];
  const rows = results.flatMap((r) =>
    r.steps.map((s) => [
      r.system, String(s.n) + (s.windowNo > 1 ? " (2nd window)" : ""), pct(s.serverCpu, 0), s.serverCpu > 0 ? Math.round(s.n / s.serverCpu).toLocaleString("en") : "-", s.serverRssMiB.toFixed(0), pct(s.deliveredShare, 2), pct(s.worstParticipantShare, 0),
      ms(s.gapMedianMs), ms(s.gapP99Ms), ms(s.gapMaxMs), pct(s.lateShare, 2), `${pct(s.genCpu, 0)} / ${ms(s.genLoopP99Ms)}`, s.otherCores.toFixed(2),
      s.verdict + (s.why ? ` (${s.why})` : ""),
    ]),
  );
  const figure = (system: string) => {
    const r = results.find((x) => x.system === system);
    if (!r) return { text: "-", n: 0 };
    const b = best(r.steps);
    // no size on time and none late: the run says nothing of this server (the generator was held up)
    if (b.n === 0 && b.atLeast) return { text: "inconclusive", n: 0 };
    return { text: `${b.atLeast ? "≥ " : ""}${b.n.toLocaleString("en")}`, n: b.n };
  };
  const ours = figure("focus");
  const theirs = figure("janus AudioBridge");
  const summary = results.map((r) => {
    const f = figure(r.system);
    if (f.text === "inconclusive") return `- ${r.system}: **inconclusive**: no size was both measured cleanly and on time (ramp ended: ${r.end}).`;
    return `- ${r.system}: **${f.text}** participants on time within one core (ramp ended: ${r.end}).`;
  });
  const tableText = table(head, rows);
  process.stdout.write(`\n${tableText}\n\n${summary.join("\n")}\n\n`);
  if (process.env.MIXER_RTP_SYSTEMS || process.env.MIXER_RTP_STEPS) {
    log("a partial run (MIXER_RTP_SYSTEMS or MIXER_RTP_STEPS set): bench/RESULTS.md and the headline are left as they are");
    return;
  }

  const intro = [
    "Method: the same plain-RTP G.711 load sent over UDP on 127.0.0.1 to our focus and to Debian's janus AudioBridge, one after",
    PINNED
      ? "the other, each server pinned (taskset, every thread) to the same single CPU and the load generator (bench/lib/rtp-load.ts) to the other."
      : "the other (this run: MIXER_RTP_PIN=0, no process pinned, for a machine busy with other work; by default each server is pinned to one CPU).",
    "N participants, each with its own UDP socket, send one 20 ms PCMU packet every 20 ms (spread over four phases 5 ms",
    "apart); 30 % talk (steady tones, about -17 dBov), the others send quiet noise (-75 dBov). Each server mixes all N in one",
    "conference and sends each participant its N-1 mix. **Focus**: a focus process (SQLite), participants joined by SIP (INVITE",
    "from our SIP stack to the dial-in number, SDP offering PCMU at the participant's port); it mixes at 8 kHz, only who talks.",
    `**janus**: \`janus\` run as a plain process with its own configuration (HTTP transport and AudioBridge plugin only, loopback,`,
    `no STUN/TURN), one room with \`sampling_rate\` ${SAMPLING_RATE} (G.711 decoded to and encoded from ${SAMPLING_RATE / 1000} kHz PCM, no resampling),`,
    "participants joined over its HTTP API as plain RTP participants (`join` with `rtp: {ip, port}`, codec pcmu); without the",
    "audio-level extension it mixes every participant, talking or not (default prebuffering, 6 packets, kept).",
    `Participants are added to the running conference in steps; at each size, after ${SETTLE_MS / 1000} s, a ${MEASURE_MS / 1000} s window (a second one when the first fails) measures the`,
    "server's CPU (/proc/<pid>/stat, share of one core), every participant's received packets vs expected (window / 20 ms) and",
    "the gaps between a participant's consecutive packets (all participants pooled; percentiles from 0.1 ms bins).",
    `**On time** (the same test for both): at least ${MIN_DELIVERED * 100} % of the expected packets arrived and no participant got under 90 % of`,
    `its own, at most ${MAX_LATE * 100} % of the gaps exceed ${LATE_GAP_MS} ms (a packet more than a frame late), and the server used at most one core`,
    "(CPU time over the window; the pinning guarantees it, unless run with MIXER_RTP_PIN=0). A failed step is \"inconclusive\"",
    `instead of late when the load generator's own event loop was delayed (p99 over ${GEN_MAX_LOOP_P99_MS} ms: other work on the machine) and that`,
    "explains the failure: late gaps, or a shortfall of packets no larger than its longest delay could shift across the window's",
    `edges (a late reader loses nothing); ${MAX_INCONCLUSIVE} in a row end the ramp, as does a late step or the generator`,
    `using over ${GEN_MAX_CPU * 100} % of its core. The figure is the largest size on time with no smaller size late; it is a lower bound (≥)`,
    "when the ramp ended without a late step. The in-process figures of `npm run bench:mixer`",
    "(no sockets) are the mixer's own ceiling; these include the sockets, the SIP or HTTP signalling and the process.",
    "\"Participants per core\" divides N by the server's CPU share: what one core would carry if the cost grew linearly, a",
    "figure that other work on the machine disturbs less than the timing does.",
    "Servers and load generator run at nice -10 when permitted (the same for both servers).",
    "This is a 2-core VM shared with other work (\"Other load\" per step): rerun on a quiet machine before reading much into it.",
  ].join("\n");
  const body = [
    `- Run: ${date}`,
    `- CPU: ${m.CPU}`,
    `- Cores: ${m.Cores} (${PINNED ? `servers on CPU ${SERVER_CPU}, load generator on CPU ${GEN_CPU}` : "not pinned (MIXER_RTP_PIN=0)"})`,
    `- Memory: ${m.Memory}`,
    `- Node: ${m.Node}`,
    `- OS: ${m.OS}`,
    `- Commit: ${m.Commit}`,
    `- janus: ${janusVersion()}`,
    `- Priority: ${niced ? `servers and load generator at nice ${NICE}` : "default (nice 0): not permitted to raise it"}`,
    `- Other load: 1-minute load average ${load0.toFixed(2)} at start`,
    "",
    ...summary,
    "",
    tableText,
  ].join("\n");
  writeResults(join(repo, "bench", "RESULTS.md"), HEADING, intro, "### Results", "### Results", body);
  log(`wrote the "${HEADING}" section of bench/RESULTS.md`);
  writeHeadlines("mixer", [
    { figure: `G.711 participants mixed within one core, on time (plain RTP over UDP, ${SAMPLING_RATE / 1000} kHz mix)`, ours: ours.text, peer: { name: "janus AudioBridge", value: theirs.text } },
  ]);
}

function janusVersion(): string {
  try {
    const out = execFileSync("dpkg-query", ["-W", "-f", "${Version}", "janus"], { encoding: "utf8" });
    return `Debian package janus ${out.trim()}`;
  } catch {
    return "Debian package janus";
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    log(`failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    process.exit(1);
  },
);
