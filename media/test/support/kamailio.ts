/**
 * Kamailio (Debian package kamailio) as a record-routing, loose-routing front proxy before a focus, for the
 * proxied SIP tests and bench:sip. The config is media/test/kamailio/kamailio.cfg.tmpl with the listen port
 * and the focus' port filled in; Kamailio runs as a plain process (`-DD -E`: no daemon, log to stderr) with
 * its own temp dir and pid file, and is stopped by its pid.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeUdpPort } from "../../../api/test/support/net.ts";

export const KAMAILIO = process.env.KAMAILIO_BIN ?? "/usr/sbin/kamailio";
export const KAMAILIO_TEMPLATE = join(import.meta.dirname, "..", "kamailio", "kamailio.cfg.tmpl");

export interface KamailioOptions {
  /** worker processes per transport (children, tcp_children); default 2 */
  children?: number;
  /** log one "ROUTE ..." line per routing decision (default true; off for load runs) */
  routeLog?: boolean;
  /** how long to wait for the proxy to answer (ms); default 10 s */
  startTimeoutMs?: number;
}

export interface KamailioProxy {
  /** UDP and TCP port on 127.0.0.1 */
  readonly port: number;
  readonly pid: number;
  /** the routing decisions logged so far ("initial INVITE udp:127.0.0.1:5090 -> sip:127.0.0.1:5070", ...) */
  routes(): string[];
  /** everything Kamailio wrote to stderr (the tail, for error messages) */
  output(): string;
  stop(): Promise<void>;
}

const OUTPUT_CAP = 512 * 1024;

/** "Kamailio 5.6.3", from `kamailio -v`. */
export function kamailioVersion(): string {
  try {
    const v = execFileSync(KAMAILIO, ["-v"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const m = /version: kamailio (\S+)/.exec(v);
    return m ? `Kamailio ${m[1]}` : "Kamailio";
  } catch {
    return "Kamailio";
  }
}

/** Starts Kamailio on a free port in front of the focus at 127.0.0.1:`focusPort`; resolves once it answers OPTIONS. */
export async function startKamailio(focusPort: number, opts: KamailioOptions = {}): Promise<KamailioProxy> {
  let lastError: Error | null = null;
  // A port found free can be taken before Kamailio binds it: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(focusPort, await freeUdpPort(), opts);
    } catch (err) {
      lastError = err as Error;
      if (!/bind|Address already in use/i.test(lastError.message)) break;
    }
  }
  throw lastError!;
}

async function startOnce(focusPort: number, port: number, opts: KamailioOptions): Promise<KamailioProxy> {
  const dir = mkdtempSync(join(tmpdir(), "dcon-kamailio-"));
  const cfg = join(dir, "kamailio.cfg");
  const pidFile = join(dir, "kamailio.pid");
  const children = opts.children ?? 2;
  writeFileSync(
    cfg,
    readFileSync(KAMAILIO_TEMPLATE, "utf8")
      .replaceAll("__FOCUS_PORT__", String(focusPort))
      .replaceAll("__PORT__", String(port))
      .replaceAll("__CHILDREN__", String(children))
      .replaceAll("__RUN_DIR__", dir),
  );
  const args = ["-f", cfg, "-DD", "-E", "-m", "64", "-M", "8", "-P", pidFile, ...(opts.routeLog === false ? [] : ["-A", "WITH_ROUTE_LOG"])];
  // its own process group, so that a last-resort SIGKILL reaches the workers too
  const child: ChildProcess = spawn(KAMAILIO, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > OUTPUT_CAP) out = out.slice(-OUTPUT_CAP / 2);
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
  child.once("error", (err) => {
    out += `\nspawn ${KAMAILIO}: ${err.message}\n`;
  });

  let stopped: Promise<void> | null = null;
  const stop = () =>
    (stopped ??= (async () => {
      if (exitCode === undefined && child.pid) {
        try {
          process.kill(child.pid, "SIGTERM");
        } catch {
          // already gone
        }
        const timer = new Promise<boolean>((r) => setTimeout(() => r(false), 5000).unref());
        if (!(await Promise.race([exited.then(() => true), timer]))) {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {
            // already gone
          }
          await exited;
        }
      }
      rmSync(dir, { recursive: true, force: true });
    })());

  try {
    await waitUntilAnswering(port, opts.startTimeoutMs ?? 10_000, () => exitCode !== undefined);
  } catch (err) {
    await stop();
    throw new Error(`Kamailio on 127.0.0.1:${port} (front of ${focusPort}) did not start: ${(err as Error).message}\n${out.slice(-3000)}`);
  }
  return {
    port,
    pid: child.pid!,
    routes: () => [...out.matchAll(/ROUTE (.*)$/gm)].map((m) => m[1]!.trim()),
    output: () => out,
    stop,
  };
}

/** Sends OPTIONS sip:127.0.0.1:port (answered by the proxy itself) every 100 ms until a 200 comes back. */
async function waitUntilAnswering(port: number, timeoutMs: number, hasExited: () => boolean): Promise<void> {
  const socket = createSocket("udp4");
  socket.on("error", () => {}); // an ICMP port unreachable before Kamailio binds
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const local = socket.address().port;
  try {
    await new Promise<void>((resolve, reject) => {
      let n = 0;
      const deadline = Date.now() + timeoutMs;
      socket.on("message", (msg) => {
        if (msg.toString("latin1").startsWith("SIP/2.0 200")) {
          clearInterval(timer);
          resolve();
        }
      });
      const probe = () => {
        if (hasExited()) {
          clearInterval(timer);
          return reject(new Error("the process exited"));
        }
        if (Date.now() > deadline) {
          clearInterval(timer);
          return reject(new Error(`no answer to OPTIONS in ${timeoutMs} ms`));
        }
        n++;
        const req = [
          `OPTIONS sip:127.0.0.1:${port} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-probe-${process.pid}-${n};rport`,
          `From: <sip:probe@127.0.0.1:${local}>;tag=probe${n}`,
          `To: <sip:127.0.0.1:${port}>`,
          `Call-ID: probe-${process.pid}-${local}-${n}`,
          `CSeq: ${n} OPTIONS`,
          "Max-Forwards: 70",
          "Content-Length: 0",
          "",
          "",
        ].join("\r\n");
        socket.send(req, port, "127.0.0.1");
      };
      const timer = setInterval(probe, 100);
      probe();
    });
  } finally {
    socket.close();
  }
}
