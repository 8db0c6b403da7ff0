/**
 * The focus under soak, as its own process (as `npm start` runs it): its heap, handles and timers are then
 * the focus' alone, not mixed with the load generator's. Started with --inspect on a kernel-chosen
 * loopback port so the driver can force a GC before each heap sample (bench/lib/inspector.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { ADMIN_TOKEN, FOCUS_ARGV, TEST_RATE_LIMITS, repo } from "../support/focus.ts";

export class FocusStartError extends Error {
  override readonly name = "FocusStartError";
}

export interface FocusProcess {
  readonly url: string;
  readonly sipPort: number;
  readonly inspectorUrl: string;
  readonly pid: number;
  /** the last 64 KiB of its output (JSON log lines) */
  output(): string;
  /** resident set size now, in bytes (from /proc; NaN where there is none) */
  rss(): number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (or the signal's name) */
  stop(graceMs?: number): Promise<number | string | null>;
}

const TAIL = 64 * 1024;

/**
 * Starts the focus; started again (up to 3 times) when a port was taken under it: with port 0 the SIP and
 * BFCP transports bind UDP first and then TCP on the same number, which another process's connection can
 * hold on a machine running many tests at once.
 */
export async function startFocusProcess(databaseUrl: string, timeoutMs = 60_000): Promise<FocusProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(databaseUrl, timeoutMs);
    } catch (err) {
      if (attempt === 3 || !(err instanceof FocusStartError && /EADDRINUSE/.test(err.message))) throw err;
    }
  }
}

async function startOnce(databaseUrl: string, timeoutMs: number): Promise<FocusProcess> {
  const child: ChildProcess = spawn(process.execPath, ["--inspect=127.0.0.1:0", ...FOCUS_ARGV], {
    cwd: repo,
    env: {
      ...process.env, NODE_OPTIONS: "", PORT: "0", SIP_PORT: "0", BFCP_PORT: "0", BFCP_TLS_PORT: "0", HOST: "127.0.0.1",
      ADMIN_TOKEN, ISLAND: "island-a.test", DATABASE_URL: databaseUrl, ...TEST_RATE_LIMITS,
      // info: the lines the start is read from ("focus listening", "SIP listening"); a few per call after
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 2 * TAIL) out = out.slice(-TAIL);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<number | string | null>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));

  const started = await new Promise<{ url: string; sipPort: number; inspectorUrl: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new FocusStartError(`the focus did not start in ${timeoutMs} ms:\n${out.slice(-4000)}`)), timeoutMs);
    const check = () => {
      const url = /"url":"(http:\/\/[^"]+)\/graphql"/.exec(out)?.[1];
      const sip = /"part":"sip"[^\n]*"port":(\d+)[^\n]*"SIP listening/.exec(out)?.[1];
      const inspector = /Debugger listening on (ws:\/\/\S+)/.exec(out)?.[1];
      if (url && sip && inspector) {
        clearTimeout(timer);
        child.stdout!.off("data", check);
        child.stderr!.off("data", check);
        resolve({ url, sipPort: Number(sip), inspectorUrl: inspector });
      }
    };
    child.stdout!.on("data", check);
    child.stderr!.on("data", check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new FocusStartError(`the focus exited (${code}) before listening:\n${out.slice(-4000)}`));
    });
  });

  return {
    ...started,
    pid: child.pid!,
    output: () => out.slice(-TAIL),
    rss: () => {
      try {
        const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1];
        return kb ? Number(kb) * 1024 : Number.NaN;
      } catch {
        return Number.NaN;
      }
    },
    async stop(graceMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
