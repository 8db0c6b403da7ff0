/**
 * Benchmark support: Debian's `janus` (package janus) as a plain process with its own configuration in a
 * temporary directory, and a small client of its HTTP API for the AudioBridge plugin.
 *
 * Only what the mixer benchmark needs is loaded: the plugins and transports folders are temporary
 * directories holding links to libjanus_audiobridge.so and libjanus_http.so alone (no event handlers, no
 * loggers). There is no STUN/TURN server, ICE gathering is limited to the loopback, and the HTTP API
 * listens on 127.0.0.1 only, so janus never reaches the network. Plain RTP participants are bound from the
 * plugin's own `rtp_port_range` (the core's media range is for WebRTC only) on `local_ip` 127.0.0.1.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../api/test/support/net.ts";

const LIB = "/usr/lib/x86_64-linux-gnu/janus";
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** janus answered a request with an error (Janus API or plugin level). */
export class JanusError extends Error {
  override readonly name = "JanusError";
  constructor(readonly code: number, message: string) {
    super(`janus error ${code}: ${message}`);
  }
}

export interface JanusOptions {
  /** ports for plain RTP participants, e.g. [40000, 49999] */
  rtpPorts: [number, number];
  /** run the process under `taskset -c <cpus>` (e.g. "1"); none: no pinning */
  cpus?: string;
  /** 0-7; default 3 (errors and warnings) */
  debugLevel?: number;
}

export interface JanusProcess {
  url: string;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

export function janusInstalled(): boolean {
  return existsSync("/usr/bin/janus") && existsSync(join(LIB, "plugins", "libjanus_audiobridge.so"));
}

function writeConfig(dir: string, httpPort: number, o: JanusOptions): string {
  const conf = join(dir, "conf");
  const plugins = join(dir, "plugins");
  const transports = join(dir, "transports");
  const empty = join(dir, "none");
  for (const d of [conf, plugins, transports, empty]) mkdirSync(d, { recursive: true });
  symlinkSync(join(LIB, "plugins", "libjanus_audiobridge.so"), join(plugins, "libjanus_audiobridge.so"));
  symlinkSync(join(LIB, "transports", "libjanus_http.so"), join(transports, "libjanus_http.so"));
  writeFileSync(
    join(conf, "janus.jcfg"),
    `general: {
	configs_folder = "${conf}"
	plugins_folder = "${plugins}"
	transports_folder = "${transports}"
	events_folder = "${empty}"
	loggers_folder = "${empty}"
	debug_level = ${o.debugLevel ?? 3}
	server_name = "bench"
	session_timeout = 0
	protected_folders = ["/bin", "/boot", "/dev", "/etc", "/lib", "/proc", "/sbin", "/sys", "/usr", "/var"]
}
certificates: {
}
media: {
	ipv6 = false
}
nat: {
	nice_debug = false
	ice_enforce_list = "127.0.0.1"
	ignore_mdns = true
}
plugins: {
}
transports: {
}
loggers: {
}
events: {
	broadcast = false
}
`,
  );
  writeFileSync(
    join(conf, "janus.transport.http.jcfg"),
    `general: {
	json = "plain"
	base_path = "/janus"
	http = true
	port = ${httpPort}
	ip = "127.0.0.1"
	https = false
}
admin: {
	admin_http = false
	admin_https = false
}
cors: {
}
`,
  );
  writeFileSync(
    join(conf, "janus.plugin.audiobridge.jcfg"),
    `general: {
	rtp_port_range = "${o.rtpPorts[0]}-${o.rtpPorts[1]}"
	local_ip = "127.0.0.1"
	events = false
}
`,
  );
  return conf;
}

/** Starts janus and waits until its HTTP API answers `info` with the AudioBridge plugin loaded. */
export async function startJanus(o: JanusOptions, timeoutMs = 30_000): Promise<JanusProcess> {
  const dir = mkdtempSync(join(tmpdir(), "dcon-bench-janus-"));
  const httpPort = await freePort();
  const conf = writeConfig(dir, httpPort, o);
  const args = ["-F", conf, "-C", join(conf, "janus.jcfg"), "-i", "127.0.0.1", "-o", "-N"];
  // stdout logging off (-N): the log goes to a file in the temporary directory, read back on failure
  const logFile = join(dir, "janus.log");
  args.push("-L", logFile);
  const child: ChildProcess = o.cpus ? spawn("taskset", ["-c", o.cpus, "/usr/bin/janus", ...args], { stdio: ["ignore", "pipe", "pipe"] }) : spawn("/usr/bin/janus", args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 100_000) out = out.slice(-50_000);
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
  const readLog = () => {
    try {
      return out + readFileSync(logFile, "utf8").slice(-20_000);
    } catch {
      return out;
    }
  };
  const url = `http://127.0.0.1:${httpPort}/janus`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitCode !== undefined) {
      const text = readLog();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`janus exited (${exitCode}) before answering:\n${text.slice(-4000)}`);
    }
    try {
      const res = await fetch(`${url}/info`);
      if (res.ok) {
        const info = (await res.json()) as { plugins?: Record<string, unknown> };
        if (!info.plugins?.["janus.plugin.audiobridge"]) throw new Error(`janus runs without the AudioBridge plugin:\n${readLog().slice(-4000)}`);
        break;
      }
    } catch (err) {
      if (err instanceof Error && err.message.startsWith("janus runs")) {
        child.kill("SIGKILL");
        throw err;
      }
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`janus did not answer in ${timeoutMs} ms:\n${readLog().slice(-4000)}`);
    }
    await sleep(100);
  }
  let stopping: Promise<void> | null = null;
  return {
    url,
    pid: child.pid!,
    output: readLog,
    stop() {
      stopping ??= (async () => {
        if (exitCode === undefined) {
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
          await exited;
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

// ---- the Janus HTTP API (one session, one handle per participant) ----

interface JanusReply {
  janus: string;
  transaction?: string;
  sender?: number;
  data?: { id: number };
  error?: { code: number; reason: string };
  plugindata?: { plugin: string; data: Record<string, unknown> };
}

let txCounter = 0;
const tx = () => `t${++txCounter}`;

/**
 * A Janus API session over HTTP. Asynchronous plugin replies (AudioBridge `join`) arrive as events on the
 * session's long poll, matched to their request by transaction.
 */
export class JanusSession {
  private readonly waiting = new Map<string, { resolve: (r: JanusReply) => void; reject: (e: Error) => void }>();
  private polling = true;

  private constructor(private readonly url: string, readonly id: number) {}

  static async create(url: string): Promise<JanusSession> {
    const r = await post(url, { janus: "create", transaction: tx() });
    const s = new JanusSession(url, r.data!.id);
    void s.poll();
    return s;
  }

  /** Attaches a handle to the AudioBridge plugin (one per participant). */
  async attach(): Promise<number> {
    const r = await post(`${this.url}/${this.id}`, { janus: "attach", plugin: "janus.plugin.audiobridge", transaction: tx() });
    return r.data!.id;
  }

  /** A synchronous plugin request (create, destroy, listparticipants, ...): the plugin's data. */
  async request(handle: number, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const r = await post(`${this.url}/${this.id}/${handle}`, { janus: "message", body, transaction: tx() });
    return pluginData(r);
  }

  /** An asynchronous plugin request (join, configure, leave): the plugin's data from its event. */
  async message(handle: number, body: Record<string, unknown>, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    const t = tx();
    const event = new Promise<JanusReply>((resolve, reject) => {
      this.waiting.set(t, { resolve, reject });
      setTimeout(() => {
        if (this.waiting.delete(t)) reject(new Error(`no janus event for ${String(body.request)} in ${timeoutMs} ms`));
      }, timeoutMs).unref();
    });
    const ack = await post(`${this.url}/${this.id}/${handle}`, { janus: "message", body, transaction: t });
    if (ack.janus !== "ack") {
      this.waiting.delete(t);
      return pluginData(ack);
    }
    return pluginData(await event);
  }

  private async poll(): Promise<void> {
    while (this.polling) {
      let events: JanusReply[];
      try {
        const res = await fetch(`${this.url}/${this.id}?maxev=100&rid=${Date.now()}`);
        const body = (await res.json()) as JanusReply | JanusReply[];
        events = Array.isArray(body) ? body : [body];
      } catch {
        if (!this.polling) return;
        await sleep(100);
        continue;
      }
      for (const e of events) {
        if (!e.transaction) continue;
        const w = this.waiting.get(e.transaction);
        if (!w) continue;
        this.waiting.delete(e.transaction);
        w.resolve(e);
      }
    }
  }

  async destroy(): Promise<void> {
    this.polling = false;
    try {
      await post(`${this.url}/${this.id}`, { janus: "destroy", transaction: tx() });
    } catch {
      // janus may be gone already
    }
    for (const w of this.waiting.values()) w.reject(new Error("session destroyed"));
    this.waiting.clear();
  }
}

async function post(url: string, body: Record<string, unknown>): Promise<JanusReply> {
  const res = await fetch(url, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  const r = (await res.json()) as JanusReply;
  if (r.janus === "error") throw new JanusError(r.error?.code ?? 0, r.error?.reason ?? "unknown");
  return r;
}

function pluginData(r: JanusReply): Record<string, unknown> {
  if (r.janus === "error") throw new JanusError(r.error?.code ?? 0, r.error?.reason ?? "unknown");
  const data = r.plugindata?.data;
  if (!data) throw new JanusError(0, `no plugin data in ${JSON.stringify(r).slice(0, 300)}`);
  if (typeof data.error_code === "number") throw new JanusError(data.error_code, String(data.error));
  return data;
}
