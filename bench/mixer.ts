/**
 * Mixer benchmark (`npm run bench:mixer`): how many G.711 participants one core mixes with every 20 ms
 * frame done well within its budget.
 *
 * For N = 50, 100, 200, ... participants of one conference (70 % PCMU, 30 % PCMA) it feeds each participant
 * one 20 ms RTP packet per frame and times, per frame: parsing every datagram (parseRtp via
 * receiveDatagram), the jitter-buffer push (with G.711 decoding), `mixFrame()` (pops, talk detection, the
 * N-1 mix, limiting and G.711 encoding) and writing every participant's outgoing RTP packet (serializeRtp).
 * Socket I/O is not included. 30 % of the participants talk (pre-encoded tones); the others are, in the two
 * scenarios, either quiet (idle-channel noise below the mixer's silence floor, as phones send when nobody
 * speaks) or open microphones with background noise at -50 dBov (above the floor, so everyone is mixed:
 * the worst case). The frame times' median, p99 and max are reported; the largest N whose p99 stays under
 * 10 ms (half the budget, leaving room for I/O) and under 20 ms is the result.
 *
 * Prints a table and rewrites the "## Mixer (npm run bench:mixer)" section of bench/RESULTS.md, leaving
 * every other section byte for byte. Runs in under a minute and exits by itself.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { ConferenceMixer } from "../media/src/audio/mixer.ts";
import { encodeG711, g711PayloadType, type G711Codec } from "../media/src/audio/g711.ts";
import { ToneGenerator } from "../media/src/audio/tone.ts";
import { serializeRtp, type RtpPacketInit } from "../media/src/rtp/packet.ts";
import { machine, ms, percentile, table } from "./lib/report.ts";
import { machineBusySeconds } from "./lib/focus.ts";
import { xorshift } from "./lib/g711-sources.ts";
import os from "node:os";

// ---- parameters (fixed, so runs compare) ----
const SIZES = [50, 100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600];
const TALKING = 0.3;
const PCMA_SHARE = 0.3;
/** warm-up: up to this many frames, or about WARMUP_BUDGET_MS */
const WARMUP_FRAMES = 200;
const WARMUP_BUDGET_MS = 1_000;
const MAX_FRAMES = 500;
const MIN_FRAMES = 100;
/** measured frames per size are cut so one size takes about this long */
const SIZE_BUDGET_MS = 2_500;
/** each scenario gets this much time (sizes that would not finish in it are not started) */
const SCENARIO_BUDGET_MS = 24_000;
/** a size whose median, extrapolated from the previous one, exceeds this is not run: it cannot fit */
const HOPELESS_MS = 30;
const WATCHDOG_MS = 90_000;
const FRAME_MS = 20;
const HEADING = "## Mixer (npm run bench:mixer)";

const scenarios = [
  { key: "quiet", title: "30 % talking, 70 % quiet (idle noise below the silence floor)", listenerDbov: -75 },
  { key: "open", title: "30 % talking, 70 % open microphones (noise at -50 dBov: everyone mixed)", listenerDbov: -50 },
] as const;

const started = performance.now();
const log = (msg: string) => process.stdout.write(`[bench:mixer ${((performance.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);
setTimeout(() => {
  log(`watchdog: still running after ${WATCHDOG_MS / 1000} s, giving up`);
  process.exit(2);
}, WATCHDOG_MS).unref();

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

// ---- pre-encoded payloads: 50 frames (1 s) of each source, in both laws ----
const CYCLE = 50;
type Payloads = Record<G711Codec, Uint8Array[]>;

function encodeFrames(fill: (pcm: Int16Array, frame: number) => void): Payloads {
  const out: Payloads = { PCMU: [], PCMA: [] };
  const pcm = new Int16Array(160);
  for (let f = 0; f < CYCLE; f++) {
    fill(pcm, f);
    for (const codec of ["PCMU", "PCMA"] as const) {
      const payload = new Uint8Array(160);
      encodeG711(codec, pcm, payload);
      out[codec].push(payload);
    }
  }
  return out;
}

const TONES = [300, 440, 523, 660, 784, 880, 1000, 1200].map((f) => {
  const g = new ToneGenerator([f], { amplitude: 0.2 });
  return encodeFrames((pcm) => g.fill(pcm));
});

function noiseFrames(dbov: number, seed: number): Payloads {
  // uniform noise of RMS r has amplitude r * sqrt(12) peak to peak; 0 dBov = RMS 32768
  const rms = 32768 * 10 ** (dbov / 20);
  const rnd = xorshift(seed); // deterministic, so runs compare
  return encodeFrames((pcm) => {
    for (let i = 0; i < 160; i++) pcm[i] = Math.round(rnd() * rms * Math.sqrt(12));
  });
}

// ---- one run: N participants, F frames ----
interface RunResult {
  n: number;
  warmup: number;
  frames: number;
  median: number;
  p99: number;
  max: number;
  over20: number;
  usPerParticipant: number;
  heapMiB: number;
}

function runSize(n: number, listenerDbov: number): RunResult {
  const mixer = new ConferenceMixer<number>();
  const listenerNoise = [noiseFrames(listenerDbov, 1), noiseFrames(listenerDbov, 2), noiseFrames(listenerDbov, 3)];
  const datagrams: Uint8Array[] = [];
  const sources: Uint8Array[][] = [];
  const outBufs: Uint8Array[] = [];
  const outInits: (RtpPacketInit & { seq: number; timestamp: number })[] = [];
  const talkers = Math.round(n * TALKING);
  for (let i = 0; i < n; i++) {
    const codec: G711Codec = i % 10 < PCMA_SHARE * 10 ? "PCMA" : "PCMU";
    mixer.addParticipant(i, { codec });
    // talkers spread evenly over the participant list
    const talking = Math.floor(((i + 1) * talkers) / n) > Math.floor((i * talkers) / n);
    sources.push((talking ? TONES[i % TONES.length]! : listenerNoise[i % listenerNoise.length]!)[codec]);
    const d = new Uint8Array(12 + 160);
    serializeRtp({ payloadType: g711PayloadType(codec), seq: 0, timestamp: 0, ssrc: i + 1, payload: sources[i]![0]! }, d);
    datagrams.push(d);
    outBufs.push(new Uint8Array(12 + 160));
    outInits.push({ payloadType: g711PayloadType(codec), seq: i, timestamp: i * 7, ssrc: 0x10000 + i, payload: sources[i]![0]! });
  }

  const times: number[] = [];
  let frame = 0;
  const step = (): number => {
    // the datagrams as the socket would have delivered them (not timed)
    const seq = frame & 0xffff;
    const ts = (frame * 160) >>> 0;
    for (let i = 0; i < n; i++) {
      const d = datagrams[i]!;
      d[2] = seq >>> 8;
      d[3] = seq & 0xff;
      d[4] = ts >>> 24;
      d[5] = (ts >>> 16) & 0xff;
      d[6] = (ts >>> 8) & 0xff;
      d[7] = ts & 0xff;
      d.set(sources[i]![frame % CYCLE]!, 12);
    }
    const arrival = frame * FRAME_MS;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) mixer.receiveDatagram(i, datagrams[i]!, arrival);
    const out = mixer.mixFrame();
    for (let k = 0; k < out.length; k++) {
      const o = out[k]!;
      const init = outInits[o.id]!;
      init.seq = (init.seq + 1) & 0xffff;
      init.timestamp = (init.timestamp + 160) >>> 0;
      init.payload = o.payload;
      serializeRtp(init, outBufs[o.id]!);
    }
    const t1 = performance.now();
    frame++;
    return t1 - t0;
  };

  let warm = 0;
  let warmed = 0;
  while (warmed < WARMUP_FRAMES && (warmed < 20 || warm < WARMUP_BUDGET_MS)) {
    warm += step();
    warmed++;
  }
  const estimate = Math.max(0.05, warm / warmed);
  const frames = Math.max(MIN_FRAMES, Math.min(MAX_FRAMES, Math.floor(SIZE_BUDGET_MS / estimate)));
  gc();
  for (let f = 0; f < frames; f++) times.push(step());
  const heapMiB = process.memoryUsage().heapUsed / 2 ** 20;
  const sorted = Float64Array.from(times).sort();
  const median = percentile(sorted, 0.5);
  return {
    n,
    warmup: warmed,
    frames,
    median,
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1]!,
    over20: times.filter((t) => t > FRAME_MS).length,
    usPerParticipant: (median * 1000) / n,
    heapMiB,
  };
}

// ---- RESULTS.md: replace only our section ----
function writeSection(file: string, section: string): void {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n";
  const lines = text.split("\n");
  let start = -1;
  let end = lines.length;
  let fenced = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith("```")) fenced = !fenced;
    if (fenced || !l.startsWith("## ")) continue;
    if (start < 0 && l.trim() === HEADING) start = i;
    else if (start >= 0) {
      end = i;
      break;
    }
  }
  const body = section.trimEnd().split("\n");
  let next: string[];
  if (start < 0) {
    // append, after a blank line; the text before stays as it is
    next = [...(text.endsWith("\n") ? lines.slice(0, -1) : lines), "", ...body, ""];
  } else {
    const after = lines.slice(end);
    next = after.length > 0 ? [...lines.slice(0, start), ...body, "", ...after] : [...lines.slice(0, start), ...body, ""];
  }
  writeFileSync(file, next.join("\n"));
}

// ---- main ----
function main(): void {
  const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
  const m = machine();
  const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  log(`${m.CPU}, ${m.Cores} cores, ${m.Memory}, Node ${m.Node}`);
  const load = os.loadavg()[0]!;
  const busy0 = machineBusySeconds();
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();

  const results: { scenario: (typeof scenarios)[number]; rows: RunResult[]; stoppedBy: string }[] = [];
  for (const scenario of scenarios) {
    const t0 = performance.now();
    const rows: RunResult[] = [];
    const left = () => SCENARIO_BUDGET_MS - (performance.now() - t0);
    /** roughly how long a size takes: set-up plus warm-up plus measured frames at the extrapolated median */
    const cost = (n: number) => {
      const prev = rows.filter((r) => r.n < n).at(-1);
      if (!prev) return 0;
      const median = (prev.median * n) / prev.n;
      return n * 0.02 + Math.min(WARMUP_FRAMES * median, WARMUP_BUDGET_MS) + Math.max(MIN_FRAMES * median, Math.min(MAX_FRAMES * median, SIZE_BUDGET_MS));
    };
    const run = (n: number) => {
      const r = runSize(n, scenario.listenerDbov);
      rows.push(r);
      rows.sort((a, b) => a.n - b.n);
      log(`${scenario.key} N=${String(n).padStart(5)}: median ${ms(r.median)} ms, p99 ${ms(r.p99)} ms, max ${ms(r.max)} ms over ${r.frames} frames (${r.usPerParticipant.toFixed(2)} µs/participant)`);
      gc();
      return r;
    };
    let stoppedBy = `largest size tried (${SIZES[SIZES.length - 1]})`;
    for (const n of SIZES) {
      const prev = rows.at(-1);
      if (prev && (prev.median * n) / prev.n > HOPELESS_MS) {
        stoppedBy = `N = ${n} not run: its median, extrapolated, is above ${HOPELESS_MS} ms`;
        break;
      }
      if (cost(n) > left()) {
        stoppedBy = `time limit of the run (N = ${n} not tried)`;
        break;
      }
      if (run(n).p99 >= FRAME_MS) {
        stoppedBy = `p99 at or above 20 ms at N = ${n}`;
        break;
      }
    }
    // Bisect (in steps of 100) between the largest size under each limit and the next size, while time allows.
    for (const limit of [10, 20]) {
      for (let step = 0; step < 3; step++) {
        const lo = rows.filter((r) => r.p99 < limit).at(-1)?.n ?? 0;
        const hiRow = rows.find((r) => r.n > lo);
        const hi = hiRow?.n ?? lo * 2;
        const mid = Math.round((lo + hi) / 200) * 100;
        if (lo === 0 || mid <= lo || mid >= hi || rows.some((r) => r.n === mid) || cost(mid) > left()) break;
        run(mid);
      }
    }
    results.push({ scenario, rows, stoppedBy });
  }

  const cpu = process.cpuUsage(cpu0);
  const others = (machineBusySeconds() - busy0 - (cpu.user + cpu.system) / 1e6) / ((performance.now() - wall0) / 1000);
  const otherLoad = `1-minute load average ${load.toFixed(2)} at start; other processes kept ${Number.isFinite(others) ? Math.max(0, others).toFixed(2) : "?"} cores busy on average while measuring`;
  log(`other load: ${otherLoad}`);

  /** the largest N such that it and every smaller size tried had p99 under the limit (conservative when noisy) */
  const best = (rows: RunResult[], limit: number) => {
    let n = 0;
    for (const r of rows) {
      if (r.p99 >= limit) break;
      n = r.n;
    }
    return n;
  };
  const headline = results.map(({ scenario, rows }) => `- ${scenario.title}: **${best(rows, 10).toLocaleString("en")}** participants with p99 < 10 ms, **${best(rows, 20).toLocaleString("en")}** with p99 < 20 ms.`);

  const tables = results.map(({ scenario, rows, stoppedBy }) =>
    [
      `**${scenario.title}**`,
      "",
      table(
        ["Participants", "Warm-up frames", "Frames", "Median ms", "p99 ms", "Max ms", "Frames > 20 ms", "µs/participant (median)", "Heap MiB"],
        rows.map((r) => [String(r.n), String(r.warmup), String(r.frames), ms(r.median), ms(r.p99), ms(r.max), String(r.over20), r.usPerParticipant.toFixed(2), r.heapMiB.toFixed(0)]),
      ),
      "",
      `Stopped: ${stoppedBy}.`,
    ].join("\n"),
  );

  for (const t of tables) process.stdout.write(`\n${t}\n`);
  process.stdout.write(`\n${headline.join("\n")}\n\n`);

  const section = [
    HEADING,
    "",
    "Method: one conference of N participants in one `ConferenceMixer` (media/src/audio/mixer.ts) in this process, on one core",
    "(the benchmark is single-threaded). Each 20 ms frame, every participant delivers one 20 ms G.711 RTP datagram (70 % PCMU,",
    "30 % PCMA; 30 % of the participants talk, sending pre-encoded tones at -17 dBov); the timed work per frame is parsing every",
    "datagram (`receiveDatagram`: parseRtp, jitter-buffer push with G.711 decoding), `mixFrame()` (jitter-buffer pops, talk",
    "detection, the N-1 mix as one Int32 sum minus each talker's own signal, clipping, G.711 encoding; listeners who are not in the",
    "mix share one encoded frame per law) and writing every outgoing RTP packet (`serializeRtp`). Socket I/O is not included.",
    `Frames run back to back: up to ${WARMUP_FRAMES} warm-up frames (about ${WARMUP_BUDGET_MS / 1000} s at most), then up to ${MAX_FRAMES} measured (at least ${MIN_FRAMES}, about`,
    `${SIZE_BUDGET_MS / 1000} s per size); percentiles are nearest-rank over the per-frame times, which include garbage collection (parseRtp`,
    "allocates a small object per packet; the mixer allocates nothing per frame). Sizes double until p99 reaches 20 ms (or the",
    "extrapolated median would exceed 30 ms), then sizes in between are bisected in steps of 100. A size \"fits\" when its p99",
    "frame time is under 10 ms (half the budget, leaving the other half for the sockets) or under 20 ms (the whole budget); the",
    "figure given is the largest N such that it and every smaller size tried fit.",
    "This is a 2-core VM shared with other work: see \"Other load\"; rerun before reading much into differences of 20-30 %.",
    "",
    `- Run: ${date}`,
    `- CPU: ${m.CPU}`,
    `- Cores: ${m.Cores} (one used)`,
    `- Memory: ${m.Memory}`,
    `- Node: ${m.Node}`,
    `- OS: ${m.OS}`,
    `- Commit: ${m.Commit}`,
    `- Other load: ${otherLoad}`,
    "",
    ...headline,
    "",
    tables.join("\n\n"),
  ].join("\n");

  writeSection(join(repo, "bench", "RESULTS.md"), section);
  log(`wrote the "${HEADING}" section of bench/RESULTS.md`);
}

main();
process.exit(0);
