/**
 * `npm run bench [-- --only sip,bfcp] [--db sqlite|postgres|both] [--quiet] [--dry-run] [--summary-only]`: runs every benchmark
 * (each root package.json script named bench:<name>) one after another as child processes, then rewrites the
 * summary at the top of bench/RESULTS.md from the headline figures they recorded (bench/lib/headlines.ts).
 *
 * One at a time, because each benchmark measures CPU and latency on the whole machine: two at once would
 * disturb each other. A failed benchmark does not stop the others; the runner exits non-zero at the end if any
 * failed. Before running, scripts/ensure-bench-peers.sh makes sure the peers the chosen benchmarks need are
 * installed (sipp, Kamailio, Prosody, Janus, PostgreSQL).
 *
 * --db: the benchmarks that take `--db postgres` (found by reading their source) run on each database asked
 * for; the others run on SQLite only, and are skipped by `--db postgres`. --quiet: each benchmark's output
 * goes to a log file, and only the runner's progress lines (and a failed benchmark's last lines) are shown.
 * A benchmark still running after --timeout-min (default 30) is stopped with everything it started.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { repo } from "./lib/focus.ts";
import { readHeadlines } from "./lib/headlines.ts";
import { machine, table, writeSummary } from "./lib/report.ts";

type Db = "sqlite" | "postgres";

class UsageError extends Error {}

const USAGE = "usage: npm run bench [-- --only a,b] [--db sqlite|postgres|both] [--quiet] [--timeout-min N] [--summary-only] [--dry-run]";

interface Options {
  only: string[] | null;
  dbs: Db[];
  quiet: boolean;
  timeoutMin: number;
  /** rewrite the summary from the recorded headlines without running anything */
  summaryOnly: boolean;
  /** print what would run, and stop */
  dryRun: boolean;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { only: null, dbs: ["sqlite"], quiet: false, timeoutMin: 30, summaryOnly: false, dryRun: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new UsageError(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === "--only") opts.only = value().split(",").map((s) => s.trim().replace(/^bench:/, "")).filter(Boolean);
    else if (flag === "--db") {
      const v = value();
      if (v === "both") opts.dbs = ["sqlite", "postgres"];
      else if (v === "sqlite" || v === "postgres") opts.dbs = [v];
      else throw new UsageError(`--db: sqlite, postgres or both, not ${v}\n${USAGE}`);
    } else if (flag === "--quiet") opts.quiet = true;
    else if (flag === "--summary-only") opts.summaryOnly = true;
    else if (flag === "--dry-run") opts.dryRun = true;
    else if (flag === "--timeout-min") {
      opts.timeoutMin = Number(value());
      if (!(opts.timeoutMin > 0)) throw new UsageError(`--timeout-min: a positive number of minutes\n${USAGE}`);
    } else if (flag === "--help" || flag === "-h") {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new UsageError(`unknown argument ${a}\n${USAGE}`);
  }
  return opts;
}

// ---- which benchmarks ----

/** Run order, fixed so that runs compare (each benchmark finds the machine as the same predecessor left it); any other bench:* after these, by name. */
const ORDER = ["api", "mixer", "mixer-rtp", "sip", "bfcp", "federation", "memory", "sip-parser"];

/** The peers each benchmark drives (names understood by scripts/ensure-bench-peers.sh). */
const PEERS_NEEDED: Record<string, string[]> = {
  mixer: ["janus"],
  "mixer-rtp": ["janus"],
  sip: ["sipp", "kamailio"],
  bfcp: ["sipp"],
  federation: ["prosody"],
  memory: ["sipp"],
};

interface Benchmark {
  /** "sip" for the script "bench:sip" */
  name: string;
  script: string;
  /** the .ts file the script runs, when it is `tsx <file>` */
  file: string | null;
  /** whether the benchmark takes `--db postgres` */
  dbAware: boolean;
}

function discover(): Benchmark[] {
  const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { scripts?: Record<string, string> };
  const found: Benchmark[] = [];
  for (const [script, command] of Object.entries(pkg.scripts ?? {})) {
    if (!script.startsWith("bench:")) continue;
    const name = script.slice("bench:".length);
    const file = /^tsx\s+(\S+\.ts)\b/.exec(command)?.[1] ?? null;
    // A benchmark that supports PostgreSQL parses a --db option; reading its source for that keeps this list
    // from going stale when another benchmark learns the option.
    const source = file && existsSync(join(repo, file)) ? readFileSync(join(repo, file), "utf8") : "";
    found.push({ name, script, file, dbAware: /["'`]--db["'`=]/.test(source) });
  }
  const rank = (n: string) => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);
  return found.sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

interface Job {
  bench: Benchmark;
  db: Db;
  label: string;
  args: string[];
}

interface Outcome {
  job: Job;
  ok: boolean;
  seconds: number;
  detail: string;
}

function plan(all: Benchmark[], opts: Options): { jobs: Job[]; skipped: string[] } {
  const skipped: string[] = [];
  if (opts.only) {
    const unknown = opts.only.filter((n) => !all.some((b) => b.name === n));
    if (unknown.length) throw new UsageError(`no benchmark named ${unknown.join(", ")} (there are: ${all.map((b) => b.name).join(", ")})`);
  }
  const jobs: Job[] = [];
  for (const bench of all) {
    if (opts.only && !opts.only.includes(bench.name)) continue;
    if (bench.file && !existsSync(join(repo, bench.file))) {
      skipped.push(`${bench.name}: ${bench.file} does not exist`);
      continue;
    }
    if (bench.dbAware) {
      for (const db of opts.dbs) jobs.push({ bench, db, label: `${bench.name} (${db === "sqlite" ? "SQLite" : "PostgreSQL"})`, args: db === "sqlite" ? [] : ["--db", db] });
    } else if (opts.dbs.includes("sqlite")) {
      jobs.push({ bench, db: "sqlite", label: bench.name, args: [] });
    } else skipped.push(`${bench.name}: runs on SQLite only (--db postgres)`);
  }
  return { jobs, skipped };
}

// ---- running ----

const started = performance.now();
const clock = (s: number) => {
  if (s < 60) return `${s.toFixed(1)}s`;
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, "0")}s`;
};
const say = (msg: string) => process.stdout.write(`[bench ${clock((performance.now() - started) / 1000).padStart(7)}] ${msg}\n`);

let current: ChildProcess | null = null;
let interrupted: string | null = null;

/** Signals a child's whole process group (npm, its shell, tsx, the benchmark and whatever the benchmark started). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals, evenAfterExit = false): void {
  if (child.pid === undefined || (!evenAfterExit && (child.exitCode !== null || child.signalCode !== null))) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** "pid name" of the live (not zombie) processes in process group `pgid`, from /proc (Linux). */
function groupMembers(pgid: number): string[] {
  const found: string[] = [];
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((n) => /^\d+$/.test(n));
  } catch {
    return found;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // fields after the parenthesised name: state, ppid, pgrp, ...
      const close = stat.lastIndexOf(")");
      const [state, , pgrp] = stat.slice(close + 2).split(" ");
      if (Number(pgrp) === pgid && state !== "Z") found.push(`${pid} ${stat.slice(stat.indexOf("(") + 1, close)}`);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

function runJob(job: Job, opts: Options, logDir: string | null): Promise<Outcome> {
  const t0 = performance.now();
  const args = ["run", "--silent", job.bench.script, ...(job.args.length ? ["--", ...job.args] : [])];
  // its own process group, so that a timeout or Ctrl-C reaches every process the benchmark started
  const child = spawn("npm", args, { cwd: repo, detached: true, stdio: ["ignore", opts.quiet ? "pipe" : "inherit", opts.quiet ? "pipe" : "inherit"] });
  current = child;
  let tail = "";
  if (logDir) {
    const logFile = createWriteStream(join(logDir, `${job.bench.name}-${job.db}.log`));
    const keep = (d: Buffer) => {
      logFile.write(d);
      tail = (tail + d.toString()).slice(-4000);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    child.once("close", () => logFile.end());
  }
  let timedOut = false;
  const limit = setTimeout(() => {
    timedOut = true;
    say(`${job.label}: still running after ${opts.timeoutMin} min; stopping it`);
    signalGroup(child, "SIGTERM");
    setTimeout(() => signalGroup(child, "SIGKILL"), 15_000).unref();
  }, opts.timeoutMin * 60_000);
  return new Promise((resolve) => {
    let done = false;
    const finish = (detail: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(limit);
      current = null;
      const seconds = (performance.now() - t0) / 1000;
      // Whatever of the benchmark's process group outlived it (a sipp, a focus) would disturb the next one.
      if (child.pid !== undefined) {
        const left = groupMembers(child.pid);
        if (left.length) {
          say(`${job.label} left processes running (${left.join(", ")}); killing them`);
          signalGroup(child, "SIGKILL", true);
        }
      }
      const ok = detail === null && !timedOut;
      if (!ok && opts.quiet && tail.trim()) process.stdout.write(`${tail.trimEnd().split("\n").slice(-20).join("\n")}\n`);
      resolve({ job, ok, seconds, detail: ok ? "ok" : timedOut ? `stopped after ${opts.timeoutMin} min` : detail! });
    };
    // npm could not be started at all: no "close" may follow
    child.once("error", (err) => finish(`could not start npm: ${err.message}`));
    child.once("close", (code, signal) => finish(code === 0 ? null : signal ? `killed by ${signal}` : `exit ${code}`));
  });
}

function ensurePeers(jobs: Job[]): void {
  const peers = new Set<string>();
  for (const j of jobs) {
    for (const p of PEERS_NEEDED[j.bench.name] ?? []) peers.add(p);
    if (j.db === "postgres") peers.add("postgresql");
  }
  if (peers.size === 0) return;
  say(`checking peers: ${[...peers].join(", ")}`);
  const r = spawnSync(join(repo, "scripts", "ensure-bench-peers.sh"), [...peers], { cwd: repo, stdio: "inherit" });
  // Not fatal: a benchmark whose peer is missing fails on its own and is reported like any other failure.
  if (r.status !== 0) say(`warning: scripts/ensure-bench-peers.sh exited ${r.status ?? r.signal}; the benchmarks that need a missing peer will fail`);
}

// ---- the summary in RESULTS.md ----

function summary(runAt: Date, load0: number, outcomes: Outcome[], skipped: string[]): string {
  const runIso = runAt.toISOString().replace(/\.\d+Z$/, "Z");
  // in the order the benchmarks run; SQLite (the default) before PostgreSQL
  const rank = (n: string) => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);
  const dbRank = (d: string | undefined) => (d === undefined || d === "SQLite" ? 0 : 1);
  const files = readHeadlines().sort(
    (a, b) => rank(a.bench) - rank(b.bench) || a.bench.localeCompare(b.bench) || dbRank(a.database) - dbRank(b.database) || (a.database ?? "").localeCompare(b.database ?? ""),
  );
  const rows = files.flatMap((f) => {
    // A headline file older than this run comes from an earlier run (a benchmark not chosen this time, or one
    // that failed before writing its figures): say so rather than pass it off as this run's.
    const earlier = new Date(f.at).getTime() < runAt.getTime();
    const bench = `${f.bench}${f.database ? ` (${f.database})` : ""}${earlier ? ` — earlier run, ${f.at.slice(0, 16).replace("T", " ")} UTC` : ""}`;
    return f.headlines.map((h) => [bench, h.figure, h.ours, h.peer?.name ?? "-", h.peer?.value ?? "-"]);
  });
  const m = machine();
  const ran = outcomes.map((o) => `${o.job.label} ${o.ok ? "ok" : `**failed** (${o.detail})`} in ${clock(o.seconds)}`);
  return [
    [
      `- Run: ${runIso} (\`npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}\`)${outcomes.length ? `, ${clock((performance.now() - started) / 1000)} in all` : ""}`,
      ...Object.entries(m).map(([k, v]) => `- ${k}: ${v}`),
      `- Benchmarks: ${ran.join("; ") || "none run; the table holds the figures they recorded earlier"}${skipped.length ? `; skipped: ${skipped.join("; ")}` : ""}`,
      // the figures are only as good as the machine was quiet: say how busy it was
      ...(outcomes.length ? [`- Other load: 1-minute load average ${load0.toFixed(2)} before the first benchmark, ${os.loadavg()[0]!.toFixed(2)} after the last`] : []),
    ].join("\n"),
    `Headline figures of each benchmark, ours beside the peer's measured in the same run (details, method and machine in each benchmark's section below).`,
    rows.length ? table(["Benchmark", "Figure", "Ours", "Peer", "Peer's figure"], rows) : "No benchmark has recorded headline figures yet.",
  ].join("\n\n");
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const { jobs, skipped } = plan(discover(), opts);
  const file = join(repo, "bench", "RESULTS.md");
  if (opts.summaryOnly) {
    // every headline then counts as from an earlier run: none was measured now
    writeSummary(file, "## Summary (npm run bench)", summary(new Date(), os.loadavg()[0]!, [], []));
    say(`wrote the summary in ${file}`);
    return;
  }
  for (const s of skipped) say(`skipped ${s}`);
  if (jobs.length === 0) throw new UsageError("nothing to run");
  if (opts.dryRun) {
    for (const [i, job] of jobs.entries()) say(`(${i + 1}/${jobs.length}) ${job.label}: npm run ${job.bench.script}${job.args.length ? ` -- ${job.args.join(" ")}` : ""}`);
    return;
  }
  const runAt = new Date();
  ensurePeers(jobs);
  const load0 = os.loadavg()[0]!;
  const logDir = opts.quiet ? mkdtempSync(join(os.tmpdir(), "dcon-bench-logs-")) : null;
  if (logDir) say(`benchmark output goes to ${logDir}`);

  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal;
    say(`${signal}: stopping the running benchmark`);
    // the benchmarks clean up (their focus, sipp, Kamailio, Prosody...) on SIGINT/SIGTERM
    if (current) {
      const child = current;
      signalGroup(child, signal);
      // a benchmark that does not finish its cleanup in time is killed with everything it started
      setTimeout(() => signalGroup(child, "SIGKILL"), 30_000).unref();
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const outcomes: Outcome[] = [];
  for (const [i, job] of jobs.entries()) {
    if (interrupted) break;
    say(`(${i + 1}/${jobs.length}) ${job.label}: npm run ${job.bench.script}${job.args.length ? ` -- ${job.args.join(" ")}` : ""}`);
    const o = await runJob(job, opts, logDir);
    outcomes.push(o);
    say(`(${i + 1}/${jobs.length}) ${job.label}: ${o.ok ? "ok" : `FAILED (${o.detail})`} in ${clock(o.seconds)}`);
  }

  // an interrupted run keeps the previous summary: the user stopped it, its figures are not a run's
  if (!interrupted) {
    writeSummary(file, "## Summary (npm run bench)", summary(runAt, load0, outcomes, skipped));
    say(`wrote the summary in ${file}`);
  }
  const failed = outcomes.filter((o) => !o.ok);
  for (const o of outcomes) say(`  ${o.ok ? "ok    " : "FAILED"} ${o.job.label.padEnd(24)} ${clock(o.seconds).padStart(7)}${o.ok ? "" : `  ${o.detail}`}`);
  if (interrupted) process.exitCode = 130;
  else if (failed.length) {
    say(`${failed.length} of ${outcomes.length} benchmark(s) failed: ${failed.map((o) => o.job.label).join(", ")}`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  process.stderr.write(`[bench] ${err instanceof UsageError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});
