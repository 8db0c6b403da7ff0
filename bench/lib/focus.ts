/**
 * Benchmark support: the focus under test as a separate process (so the load generator's work does not
 * skew it), an optional throwaway PostgreSQL cluster, and readings of a process' CPU time and memory.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { freePort } from "../../api/test/support/net.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const repo = join(import.meta.dirname, "..", "..");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FocusProcess {
  url: string;
  pid: number;
  /** the process' stdout and stderr so far (LOG_LEVEL=warn: warnings and errors only) */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `node --import tsx api/src/main.ts` (one process, so its pid is the focus' own) on a free port
 * and waits until /healthz answers. With LOG_LEVEL=warn the focus logs no URL, so the port is chosen here.
 * Rate limits are off (RATE_LIMIT_ENABLED=false): the load generator is one address opening 1,000+
 * WebSocket subscribers, hundreds of requests and SIP calls a second, which the per-address limits exist
 * to refuse; the benchmarks measure the focus' capacity, not its limits (a run may still pass
 * RATE_LIMIT_ENABLED=true in `env` to measure with them). SIP and BFCP listen on free ports unless `env` names
 * them, so a benchmark never collides with a focus already running on the defaults.
 */
export async function startFocusProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<FocusProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", join(repo, "api", "src", "main.ts")], {
    cwd: repo,
    env: { ...process.env, NODE_OPTIONS: "", HOST: "127.0.0.1", PORT: String(port), SIP_PORT: "0", BFCP_PORT: "0", LOG_LEVEL: "warn", RATE_LIMIT_ENABLED: "false", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let exitCode: number | string | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exitCode = code ?? signal;
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`focus exited (${exitCode}) before listening:\n${out}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`focus did not answer /healthz in ${timeoutMs} ms:\n${out}`);
    }
    await sleep(100);
  }
  let stopping: Promise<void> | null = null;
  return {
    url,
    pid: child.pid!,
    output: () => out,
    stop() {
      stopping ??= (async () => {
        if (exitCode !== undefined) return;
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

/** user + system CPU seconds of a process (Linux /proc), or NaN when unreadable. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15; clock ticks are 100 Hz on Linux.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** resident set size in MiB (Linux /proc), or NaN. */
export function processRssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export interface Database {
  url: string;
  /** e.g. "SQLite (embedded, WAL)" or "PostgreSQL 15" */
  label: string;
  dispose(): Promise<void>;
}

/** A fresh SQLite file in a temporary directory. */
export function sqliteDatabase(): Database {
  const dir = mkdtempSync(join(tmpdir(), "dcon-bench-"));
  return {
    url: `file:${join(dir, "focus.db")}`,
    label: "SQLite (embedded, WAL, synchronous=NORMAL)",
    async dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A throwaway PostgreSQL cluster on loopback (scripts/pg-cluster.sh: fsync and synchronous_commit off). */
export async function postgresDatabase(): Promise<Database> {
  const dir = mkdtempSync(join(tmpdir(), "dcon-bench-pg-"));
  const script = join(repo, "scripts", "pg-cluster.sh");
  const port = await freePort();
  let url: string;
  try {
    url = execFileSync(script, ["start", dir, String(port)], { encoding: "utf8", timeout: 120_000 }).trim();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let version = "";
  try {
    version = execFileSync("sh", ["-c", "ls /usr/lib/postgresql | sort -V | tail -n 1"], { encoding: "utf8" }).trim();
  } catch {
    // unknown version
  }
  return {
    url,
    label: `PostgreSQL${version ? ` ${version}` : ""} (local cluster, fsync=off, synchronous_commit=off)`,
    async dispose() {
      try {
        execFileSync(script, ["stop", dir], { timeout: 60_000 });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** CPU seconds the whole machine spent busy (all cores, Linux /proc/stat), or NaN. */
export function machineBusySeconds(): number {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) / 100;
  } catch {
    return Number.NaN;
  }
}
