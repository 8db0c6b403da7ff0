#!/usr/bin/env node
/**
 * The long fuzz campaign: runs each target's fuzz tests under Jest with a time budget instead of the
 * bounded CI run counts (see fuzz/support/budget.ts), prints a progress line per property as it ends and
 * a summary per target (inputs tried, seconds, seed, slowest input).
 *
 *   npm run fuzz                                  every target, 60 s each, a fresh random seed
 *   npm run fuzz -- --seconds 600 --only sip      one target (comma-separated list, or repeat --only)
 *   npm run fuzz -- --seed 123 --only bfcp        replay a campaign (the seed is printed at the start)
 *   npm run fuzz -- --runs 100000                 a fixed number of inputs per property instead of time
 *   npm run fuzz -- --slow-ms 500                 an input slower than this fails (default 2000; 0 = off)
 *
 * A target that does not finish within its budget plus a grace period is killed and reported as a hang.
 * A failure prints Jest's output, which holds the counterexample and the FUZZ_SEED / FUZZ_PATH to replay
 * it; the fix's input then goes into fuzz/corpus/<target>/regressions/.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** name -> test file and Jest project. The transport target needs the integration setup (database, sipp). */
const TARGETS = {
  sip: { file: "media/src/sip/parser-fuzz.test.ts", project: "unit" },
  sdp: { file: "media/src/sdp/fuzz.test.ts", project: "unit" },
  bfcp: { file: "media/src/bfcp/codec-fuzz.test.ts", project: "unit" },
  rtp: { file: "media/src/rtp/fuzz.test.ts", project: "unit" },
  xmpp: { file: "federation/src/wire-fuzz.test.ts", project: "unit" },
  "sip-transport": { file: "media/test/sip-transport-fuzz.test.ts", project: "integration", optIn: true },
};
/** Time on top of the budget for Jest's start, the fixed tests and shrinking a counterexample. */
const GRACE_S = 180;

class UsageError extends Error {
  code = "USAGE";
}

function parseArgs(argv) {
  const opts = { seconds: 60, only: [], seed: undefined, runs: undefined, slowMs: 2000 };
  const number = (flag, v) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) throw new UsageError(`${flag} needs a non-negative number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "--seconds": opts.seconds = number(flag, value()); break;
      case "--only": opts.only.push(...String(value() ?? "").split(",").filter(Boolean)); break;
      case "--seed": opts.seed = Math.trunc(number(flag, value())); break;
      case "--runs": opts.runs = Math.trunc(number(flag, value())); break;
      case "--slow-ms": opts.slowMs = number(flag, value()); break;
      case "--help": case "-h": opts.help = true; break;
      default: throw new UsageError(`unknown argument ${a}`);
    }
  }
  for (const t of opts.only) if (!(t in TARGETS)) throw new UsageError(`unknown target ${t} (known: ${Object.keys(TARGETS).join(", ")})`);
  return opts;
}

function readReports(file, from) {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").filter(Boolean).slice(from).map((l) => JSON.parse(l));
}

function runTarget(name, spec, opts, seed, reportFile) {
  const env = {
    ...process.env,
    NODE_OPTIONS: [process.env.NODE_OPTIONS, "--experimental-vm-modules"].filter(Boolean).join(" "),
    FUZZ_SEED: String(seed),
    FUZZ_REPORT: reportFile,
    FUZZ_SLOW_MS: String(opts.slowMs),
    ...(opts.runs !== undefined ? { FUZZ_RUNS: String(opts.runs) } : { FUZZ_SECONDS: String(opts.seconds) }),
    ...(spec.project === "integration" ? { TEST_DB: process.env.TEST_DB ?? "sqlite" } : {}),
  };
  const started = Date.now();
  let seen = 0;
  return new Promise((resolve) => {
    const child = spawn("npx", ["jest", spec.file, "--selectProjects", spec.project, "--colors=false"], { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const progress = setInterval(() => {
      for (const r of readReports(reportFile, seen)) {
        seen++;
        console.log(`  ${name} / ${r.property}: ${r.runs} runs in ${r.seconds.toFixed(1)} s, slowest input ${r.slowestMs} ms${r.failed ? "  FAILED" : ""}`);
      }
    }, 1000);
    const limitMs = opts.runs !== undefined ? 6 * 3600_000 : (opts.seconds + GRACE_S) * 1000;
    let hung = false;
    const watchdog = setTimeout(() => {
      hung = true;
      // the whole process group: Jest and its workers
      try { process.kill(-child.pid, "SIGKILL"); } catch { /* already gone */ }
    }, limitMs);
    child.on("close", (code) => {
      clearInterval(progress);
      clearTimeout(watchdog);
      const reports = readReports(reportFile, 0);
      for (const r of reports.slice(seen)) console.log(`  ${name} / ${r.property}: ${r.runs} runs in ${r.seconds.toFixed(1)} s, slowest input ${r.slowestMs} ms${r.failed ? "  FAILED" : ""}`);
      resolve({ name, code, hung, output, reports, wallSeconds: (Date.now() - started) / 1000 });
    });
  });
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    console.log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("*/")[0].replace(/^#!.*\n\/\*\*\n/, "").replace(/^ \* ?/gm, ""));
    return 0;
  }
  const names = opts.only.length > 0 ? opts.only : Object.keys(TARGETS).filter((n) => !TARGETS[n].optIn);
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
  const budget = opts.runs !== undefined ? `${opts.runs} runs per property` : `${opts.seconds} s per target`;
  console.log(`fuzz: ${names.join(", ")}; ${budget}; seed ${seed} (replay: --seed ${seed})`);
  const dir = mkdtempSync(join(tmpdir(), "fuzz-"));
  const results = [];
  try {
    for (const name of names) {
      console.log(`${name}: running ${TARGETS[name].file}`);
      results.push(await runTarget(name, TARGETS[name], opts, seed, join(dir, `${name}.jsonl`)));
      const r = results.at(-1);
      const runs = r.reports.reduce((n, p) => n + p.runs, 0);
      const secs = r.reports.reduce((n, p) => n + p.seconds, 0);
      const slowest = Math.max(0, ...r.reports.map((p) => p.slowestMs));
      const verdict = r.hung ? "HANG (killed)" : r.code === 0 ? "ok" : "FAILED";
      console.log(`${name}: ${verdict}: ${runs} runs in ${secs.toFixed(1)} s fuzzing (${r.wallSeconds.toFixed(0)} s wall), seed ${seed}, slowest input ${slowest} ms`);
      if (r.code !== 0 || r.hung) console.log(r.output);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const bad = results.filter((r) => r.code !== 0 || r.hung);
  console.log(bad.length === 0 ? `fuzz: all ${results.length} targets ok (seed ${seed})` : `fuzz: ${bad.map((r) => r.name).join(", ")} failed (seed ${seed})`);
  return bad.length === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (err) => {
  console.error(err instanceof UsageError ? `fuzz: ${err.message}` : err);
  process.exit(err instanceof UsageError ? 2 : 1);
});
