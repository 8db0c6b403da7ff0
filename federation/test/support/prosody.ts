/**
 * Real Prosody islands for the federation tests (Debian package prosody 0.12 with lua-unbound).
 *
 * `startIslands(["island-a.test", "island-b.test"])` starts one Prosody per island, each a plain foreground
 * process with its own temp dir (config, data dir, log, pid file), listening on its own loopback address
 * (island i on 127.0.0.(2 + i)) and hosting `Component "focus.<domain>"` for that island's focus (XEP-0114).
 * The islands federate over s2s with plaintext + dialback (the test variant of the federation recipe: no
 * "tls" module, no certificates).
 *
 * Ports. Every island of a cluster listens on the same three numbers (c2s, s2s, component), as in the
 * recipe. The recipe's 5222 / 5269 / 5347 cannot serve parallel runs: Jest runs test files in parallel
 * workers, two clusters would need the same address:port, and any XMPP server listening on *:5269 (as
 * Debian's stock Prosody config does) blocks them all. Moving islands to other addresses does not help
 * there, and a different s2s port is invisible to the other islands, because Prosody falls back from SRV to
 * port 5269, hard-wired (mod_s2s `default_port`). So by default (`ports: "auto"`) a cluster takes three
 * ports the kernel hands out (bind to port 0), checks each is free on every island address, and publishes
 * them the standard way, with SRV records (`_xmpp-server._tcp.<name>`, RFC 6120 §3.2.1) from a tiny DNS
 * responder of its own (island-dns.ts). Two runs are unlikely to draw the same ports; when a Prosody still
 * fails to bind one (it logs "Failed to open server port" and keeps running), the cluster starts over with
 * fresh ports, up to three times. `ports: "standard"` uses 5222 / 5269 / 5347 and fails at once, naming each
 * busy address:port, if any is taken.
 *
 * Names. Debian's Prosody resolves with lua-unbound, which ignores /etc/hosts: every island reads one private
 * hosts file (`unbound.hoststxt`) mapping `<domain>` and `focus.<domain>` to the island's address, and
 * forwards every other query (the SRV records) to the cluster's DNS responder. unbound answers names under
 * `test.` itself (a default static zone for the RFC 6761 name), so the config makes that zone transparent;
 * `do-not-query-localhost: no` lets it forward to 127.0.0.1.
 *
 * Processes. Prosody runs as the prosody user when this process is root (Prosody refuses root), through
 * `setpriv ... --pdeathsig SIGKILL`, so it dies with this process even when afterAll never runs; a Prosody
 * left over anyway holds only its own random ports and temp dir, which no later run reuses. An island's
 * `stop()` ends Prosody (SIGTERM by pid, SIGKILL after 5 s) and keeps its data dir so that `start()` brings
 * the same island back on the same ports; `kill()` is SIGKILL (a crash). The cluster's `stop()` stops every
 * island, the DNS responder, and removes the temp dirs.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startIslandDns, type IslandDns } from "./island-dns.ts";

export const PROSODY = process.env.PROSODY_BIN ?? "/usr/bin/prosody";

/** The recipe's port numbers, used with `ports: "standard"`. */
export const STANDARD_PORTS: IslandPorts = { c2s: 5222, s2s: 5269, component: 5347 };

const OUTPUT_CAP = 256 * 1024;
const RUN_DIR_PREFIX = "dcon-prosody-";
const START_ATTEMPTS = 3;

export interface IslandPorts {
  c2s: number;
  s2s: number;
  component: number;
}

export interface IslandsOptions {
  /** "auto" (default): three free ports shared by all islands, published by SRV; "standard": 5222/5269/5347 */
  ports?: "auto" | "standard";
  /** Prosody's file log level; default "info" ("debug" logs every stanza and slows bursts down) */
  logLevel?: "debug" | "info" | "warn" | "error";
  /** how long one island may take to answer on its ports (ms); default 15 s */
  startTimeoutMs?: number;
}

export interface Island {
  /** "island-a.test": the island's Prosody VirtualHost */
  readonly domain: string;
  /** "focus.island-a.test": the component the island's focus connects as */
  readonly componentJid: string;
  /** the island's loopback address, e.g. 127.0.0.2 */
  readonly address: string;
  readonly c2sPort: number;
  readonly s2sPort: number;
  readonly componentPort: number;
  /** "xmpp://127.0.0.2:<componentPort>", the `service` for a component connection */
  readonly componentService: string;
  /** the component_secret of `componentJid` */
  readonly secret: string;
  /** this island's temp dir (config, data, log, pid file) */
  readonly dir: string;
  /** pid of the running Prosody, or null while stopped */
  readonly pid: number | null;
  readonly running: boolean;
  /** (Re)starts Prosody with the same config, ports and data dir; resolves once every port answers a stream header. */
  start(): Promise<void>;
  /** SIGTERM (Prosody closes its streams: components and remote servers see a clean shutdown); data dir kept. */
  stop(): Promise<void>;
  /** SIGKILL: a crash, nobody is told; data dir kept. */
  kill(): Promise<void>;
  /** Prosody's log file so far (all starts), followed by anything it wrote to stdout/stderr. */
  log(): string;
  /** the warn and error lines of the log */
  problems(): string[];
}

export interface Islands {
  readonly islands: readonly Island[];
  /** the ports every island listens on */
  readonly ports: IslandPorts;
  /** the private hosts file every island resolves with */
  readonly hostsFile: string;
  /** the island with this domain (throws if unknown) */
  get(domain: string): Island;
  /** Stops every island and the DNS responder, removes the temp dirs; safe to call twice. */
  stop(): Promise<void>;
}

/** Starts one Prosody per domain (at least one), federated with each other; see the header. */
export async function startIslands(domains: readonly string[], opts: IslandsOptions = {}): Promise<Islands> {
  if (domains.length === 0 || domains.length > 250) throw new Error(`startIslands: 1 to 250 domains, got ${domains.length}`);
  if (new Set(domains).size !== domains.length) throw new Error(`startIslands: duplicate domains in ${domains.join(", ")}`);
  for (const d of domains) {
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(d)) throw new Error(`startIslands: not a domain: ${d}`);
  }
  const addresses = domains.map((_, i) => `127.0.0.${2 + i}`);
  const attempts = opts.ports === "standard" ? 1 : START_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    const ports = opts.ports === "standard" ? await checkStandardPorts(addresses) : await freePorts(addresses);
    try {
      return await startCluster(domains, addresses, ports, opts);
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= attempts) throw err;
    }
  }
}

/** `prosody` package version from dpkg, e.g. "0.12.3-1+deb12u1" (for test titles and reports). */
export function prosodyVersion(): string {
  try {
    return execFileSync("dpkg-query", ["-W", "-f=${Version}", "prosody"], { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

/** A Prosody could not listen on a port checked free just before: another run took it in between. */
class PortTakenError extends Error {}

async function startCluster(domains: readonly string[], addresses: string[], ports: IslandPorts, opts: IslandsOptions): Promise<Islands> {
  removeAbandonedRunDirs();
  const runDir = mkdtempSync(join(tmpdir(), RUN_DIR_PREFIX));
  writeFileSync(join(runDir, "owner.pid"), String(process.pid));
  let dns: IslandDns | null = null;
  const islands: ProsodyIsland[] = [];
  const onExit = () => {
    // last resort when the test process exits without stop(): SIGKILL (synchronous; `exit` allows nothing else)
    for (const island of islands) island.killNow();
  };
  process.once("exit", onExit);
  let stopped: Promise<void> | null = null;
  const stopAll = () =>
    (stopped ??= (async () => {
      await Promise.all(islands.map((island) => island.stop()));
      process.removeListener("exit", onExit);
      await dns?.close();
      rmSync(runDir, { recursive: true, force: true });
    })());

  try {
    dns = await startIslandDns(
      domains.flatMap((d, i) => [d, `focus.${d}`].map((name) => ({ name, address: addresses[i]!, s2sPort: ports.s2s, c2sPort: ports.c2s }))),
    );
    const hostsFile = join(runDir, "islands.hosts");
    writeFileSync(hostsFile, domains.map((d, i) => `${addresses[i]} ${d} focus.${d}\n`).join(""));
    for (const [i, domain] of domains.entries()) {
      islands.push(new ProsodyIsland({ domain, address: addresses[i]!, ports, runDir, hostsFile, dnsForward: dns.forwardSpec, opts }));
    }
    const owner = prosodyOwner();
    if (owner) chownTree(runDir, owner);
    const started = await Promise.allSettled(islands.map((island) => island.start()));
    const failures = started.flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : []));
    if (failures.length > 0) throw failures.find((e) => e instanceof PortTakenError) ?? failures[0]!;
    return {
      islands,
      ports,
      hostsFile,
      get(domain: string): Island {
        const island = islands.find((x) => x.domain === domain);
        if (!island) throw new Error(`no island ${domain} (have ${domains.join(", ")})`);
        return island;
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * Removes the temp dirs of runs that died without stop(): their owner process is gone and no Prosody of
 * theirs is alive (a leftover Prosody keeps its dir, so that its log can still be read).
 */
function removeAbandonedRunDirs(): void {
  const alive = (file: string): boolean => {
    try {
      const pid = Number(readFileSync(file, "utf8").trim());
      if (!Number.isInteger(pid) || pid <= 0) return false;
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
    }
  };
  let names: string[];
  try {
    names = readdirSync(tmpdir()).filter((n) => n.startsWith(RUN_DIR_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(tmpdir(), name);
    try {
      const owner = join(dir, "owner.pid");
      if (!statSync(owner).isFile() || alive(owner)) continue;
      const islandPids = readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => join(dir, e.name, "prosody.pid"));
      if (islandPids.some((f) => alive(f))) continue;
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // not ours, or being removed right now by its owner
    }
  }
}

// --- ports ----------------------------------------------------------------------------------------------

/** Three distinct ports, each one the kernel hands out on the first address and free on every other. */
async function freePorts(addresses: readonly string[]): Promise<IslandPorts> {
  const taken = new Set<number>();
  const pick = async (): Promise<number> => {
    for (let i = 0; i < 50; i++) {
      const port = await listenOnce(addresses[0]!, 0);
      if (typeof port !== "number") throw new Error(`cannot listen on ${addresses[0]}: ${port} (the islands need 127.0.0.0/8 on lo, as on Linux)`);
      if (taken.has(port)) continue;
      const others = await Promise.all(addresses.slice(1).map((a) => listenOnce(a, port)));
      if (others.every((x) => x === port)) {
        taken.add(port);
        return port;
      }
    }
    throw new Error(`no port free on all of ${addresses.join(", ")}`);
  };
  return { c2s: await pick(), s2s: await pick(), component: await pick() };
}

async function checkStandardPorts(addresses: readonly string[]): Promise<IslandPorts> {
  const busy: string[] = [];
  for (const address of addresses) {
    for (const port of Object.values(STANDARD_PORTS)) {
      const result = await listenOnce(address, port);
      if (result !== port) busy.push(`${address}:${port} (${result})`);
    }
  }
  if (busy.length > 0) {
    throw new Error(
      `the standard XMPP ports are in use: ${busy.join(", ")}. A Prosody left over from a crashed run, or another ` +
        'XMPP server? See `pgrep -a prosody` and `ss -ltnp`, or use ports: "auto".',
    );
  }
  return { ...STANDARD_PORTS };
}

/** Listens on address:port and closes again: the port bound, or the error code (EADDRINUSE, EADDRNOTAVAIL, ...). */
function listenOnce(address: string, port: number): Promise<number | string> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen({ host: address, port, exclusive: true }, () => {
      const bound = (server.address() as { port: number }).port;
      server.close(() => resolve(bound));
    });
  });
}

// --- one island -----------------------------------------------------------------------------------------

interface Owner {
  uid: number;
  gid: number;
}

/** When root: the prosody user's ids (Prosody will not run as root), else null (run as ourselves). */
function prosodyOwner(): Owner | null {
  if (process.getuid?.() !== 0) return null;
  try {
    const uid = Number(execFileSync("id", ["-u", "prosody"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "prosody"], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch {
    throw new Error("running as root but there is no prosody user (install the Debian package prosody)");
  }
}

function chownTree(path: string, owner: Owner): void {
  chownSync(path, owner.uid, owner.gid);
  if (statSync(path).isDirectory()) for (const name of readdirSync(path)) chownTree(join(path, name), owner);
}

type IslandState =
  | { kind: "stopped" }
  | { kind: "starting" | "running"; child: ChildProcess; exited: Promise<void> }
  | { kind: "stopping"; child: ChildProcess; exited: Promise<void> };

interface IslandParams {
  domain: string;
  address: string;
  ports: IslandPorts;
  runDir: string;
  hostsFile: string;
  /** "127.0.0.1@port" of the cluster's DNS responder */
  dnsForward: string;
  opts: IslandsOptions;
}

class ProsodyIsland implements Island {
  readonly domain: string;
  readonly address: string;
  readonly componentJid: string;
  readonly c2sPort: number;
  readonly s2sPort: number;
  readonly componentPort: number;
  readonly componentService: string;
  readonly secret = randomBytes(16).toString("hex");
  readonly dir: string;
  private readonly logFile: string;
  private readonly configFile: string;
  private readonly startTimeoutMs: number;
  private state: IslandState = { kind: "stopped" };
  private output = "";
  /** serialises start/stop/kill so that a fault test cannot interleave them */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(p: IslandParams) {
    this.domain = p.domain;
    this.address = p.address;
    this.componentJid = `focus.${p.domain}`;
    this.c2sPort = p.ports.c2s;
    this.s2sPort = p.ports.s2s;
    this.componentPort = p.ports.component;
    this.componentService = `xmpp://${p.address}:${p.ports.component}`;
    this.startTimeoutMs = p.opts.startTimeoutMs ?? 15_000;
    this.dir = join(p.runDir, p.domain);
    this.logFile = join(this.dir, "prosody.log");
    this.configFile = join(this.dir, "prosody.cfg.lua");
    mkdirSync(join(this.dir, "data"), { recursive: true });
    mkdirSync(join(this.dir, "certs")); // empty (dialback only), but present: Prosody logs an error for a missing one
    writeFileSync(this.logFile, "");
    writeFileSync(
      this.configFile,
      prosodyConfig({
        dir: this.dir,
        address: p.address,
        ports: p.ports,
        domain: p.domain,
        componentJid: this.componentJid,
        secret: this.secret,
        hostsFile: p.hostsFile,
        dnsForward: p.dnsForward,
        logFile: this.logFile,
        logLevel: p.opts.logLevel ?? "info",
      }),
    );
  }

  get pid(): number | null {
    return this.state.kind === "running" ? (this.state.child.pid ?? null) : null;
  }

  get running(): boolean {
    return this.state.kind === "running";
  }

  start(): Promise<void> {
    return this.serialised(() => this.doStart());
  }

  stop(): Promise<void> {
    return this.serialised(() => this.doStop("SIGTERM"));
  }

  kill(): Promise<void> {
    return this.serialised(() => this.doStop("SIGKILL"));
  }

  log(): string {
    const file = this.fileLog();
    return this.output ? `${file}\n--- stdout/stderr ---\n${this.output}` : file;
  }

  private fileLog(): string {
    try {
      return readFileSync(this.logFile, "utf8");
    } catch {
      return ""; // removed by the cluster's stop()
    }
  }

  problems(): string[] {
    return this.log()
      .split("\n")
      .filter((line) => /\s(warn|error)\s/.test(line));
  }

  /** Synchronous SIGKILL for process exit handlers. */
  killNow(): void {
    if (this.state.kind === "stopped") return;
    try {
      this.state.child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }

  private serialised(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step, step);
    this.queue = next.catch(() => {});
    return next;
  }

  private async doStart(): Promise<void> {
    if (this.state.kind !== "stopped") return;
    const owner = process.getuid?.() === 0;
    const prosodyArgs = [PROSODY, "-F", "--config", this.configFile];
    // setpriv: drop to the prosody user when root, and die with this process either way
    const args = [...(owner ? ["--reuid=prosody", "--regid=prosody", "--init-groups"] : []), "--pdeathsig", "SIGKILL", ...prosodyArgs];
    const child = spawn("setpriv", args, { cwd: this.dir, stdio: ["ignore", "pipe", "pipe"] });
    const keep = (d: Buffer) => {
      this.output += d.toString();
      if (this.output.length > OUTPUT_CAP) this.output = this.output.slice(-OUTPUT_CAP / 2);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    child.once("error", (err) => keep(Buffer.from(`spawn setpriv ${PROSODY}: ${err.message}\n`)));
    const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
    this.state = { kind: "starting", child, exited };
    const logStart = this.fileLog().length;
    try {
      await this.waitReady(child, logStart);
    } catch (err) {
      await this.doStop("SIGKILL");
      const message = `Prosody for ${this.domain} on ${this.address} did not start: ${(err as Error).message}\n${this.log().slice(-4000)}`;
      throw err instanceof PortTakenError ? new PortTakenError(message) : new Error(message);
    }
    this.state = { kind: "running", child, exited };
  }

  /** Until every port answers (s2s and component with a stream header), or Prosody exits or fails to bind. */
  private async waitReady(child: ChildProcess, logStart: number): Promise<void> {
    const deadline = Date.now() + this.startTimeoutMs;
    // c2s is only connected to: a stream header there makes Prosody warn that it has no features to offer
    const probes: Array<[number, string | null, string]> = [
      [this.s2sPort, "jabber:server", this.domain],
      [this.c2sPort, null, this.domain],
      [this.componentPort, "jabber:component:accept", this.componentJid],
    ];
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Prosody exited (${child.exitCode ?? child.signalCode})`);
      const bindFailure = /Failed to open server port.*/.exec(this.fileLog().slice(logStart));
      if (bindFailure) throw new PortTakenError(bindFailure[0]);
      const answers = await Promise.all(probes.map(([port, ns, to]) => answersStreamHeader(this.address, port, ns, to)));
      if (answers.every(Boolean)) {
        // Prosody binds every port before it serves any: if it answered, a failed bind is in the log by now
        const late = /Failed to open server port.*/.exec(this.fileLog().slice(logStart));
        if (late) throw new PortTakenError(late[0]);
        return;
      }
      if (Date.now() > deadline) {
        const silent = probes.filter((_, i) => !answers[i]).map(([port]) => `${this.address}:${port}`);
        throw new Error(`no stream header from ${silent.join(", ")} within ${this.startTimeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async doStop(signal: "SIGTERM" | "SIGKILL"): Promise<void> {
    if (this.state.kind === "stopped") return;
    const { child, exited } = this.state;
    this.state = { kind: "stopping", child, exited };
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const timer = new Promise<boolean>((r) => setTimeout(() => r(false), 5000).unref());
      if (!(await Promise.race([exited.then(() => true), timer]))) {
        child.kill("SIGKILL");
        await exited;
      }
    }
    this.state = { kind: "stopped" };
  }
}

/**
 * Connects, sends a stream header, resolves true once the answer starts a stream (false on any failure);
 * with `ns` null, true once the TCP connection is accepted.
 */
function answersStreamHeader(address: string, port: number, ns: string | null, to: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    let got = "";
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 1000);
    socket.once("error", () => done(false));
    socket.once("close", () => done(false));
    socket.on("connect", () => {
      if (ns === null) return done(true);
      socket.write(`<?xml version='1.0'?><stream:stream xmlns='${ns}' xmlns:stream='http://etherx.jabber.org/streams' to='${to}' version='1.0'>`);
    });
    socket.on("data", (d: Buffer) => {
      got += d.toString();
      if (/<stream:stream\b[^>]*>/.test(got)) done(true);
    });
  });
}

interface ConfigParams {
  dir: string;
  address: string;
  ports: IslandPorts;
  domain: string;
  componentJid: string;
  secret: string;
  hostsFile: string;
  dnsForward: string;
  logFile: string;
  logLevel: string;
}

const lua = (s: string) => JSON.stringify(s); // a JSON string literal is a valid Lua string literal for our values

/** The recipe's test variant: plaintext + dialback, no "limits", Nagle off, quoted module names. */
function prosodyConfig(p: ConfigParams): string {
  return `-- generated by federation/test/support/prosody.ts for island ${p.domain}
pidfile = ${lua(join(p.dir, "prosody.pid"))}
data_path = ${lua(join(p.dir, "data"))}
certificates = ${lua(join(p.dir, "certs"))}
log = { { levels = { min = ${lua(p.logLevel)} }; to = "file"; filename = ${lua(p.logFile)} } }

interfaces = { ${lua(p.address)} }
component_interfaces = { ${lua(p.address)} }
c2s_ports = { ${p.ports.c2s} }
s2s_ports = { ${p.ports.s2s} }
component_ports = { ${p.ports.component} }
c2s_direct_tls_ports = { }
s2s_direct_tls_ports = { }
network_settings = { nagle = false }

-- lua-unbound ignores /etc/hosts: the cluster's hosts file gives the addresses, the cluster's DNS responder
-- the SRV records with the s2s port; "test." is a static zone by default (RFC 6761), made transparent here
unbound = {
    hoststxt = ${lua(p.hostsFile)};
    resolvconf = false;
    forward = ${lua(p.dnsForward)};
    options = { ["do-not-query-localhost:"] = "no"; ["local-zone:"] = "test. transparent" };
}

-- "limits" stays off: Debian's default throttles s2s to 30 kB/s
modules_enabled = { "dialback" }
s2s_require_encryption = false
s2s_secure_auth = false
c2s_require_encryption = false
allow_registration = false

VirtualHost ${lua(p.domain)}

Component ${lua(p.componentJid)}
    component_secret = ${lua(p.secret)}
`;
}
