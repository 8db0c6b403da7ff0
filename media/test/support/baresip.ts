/**
 * baresip (Debian baresip-core 1.0) as a real softphone for the SIP suites: one process per instance, with
 * its own generated config dir, SIP listen address and control port, driven over its ctrl_tcp module
 * (netstring-framed JSON: commands out, responses and call events in).
 *
 * Audio: the microphone is a WAV file (module aufile, S16LE mono 8 kHz; baresip hangs up when the file
 * ends, so it must outlast the call). What the phone receives is recorded by the sndfile module, which
 * writes each call's decoded received audio to `<recordDir>/dump-<time>-dec.wav` (and what it sends to
 * `...-enc.wav`). This baresip's aufile module is a source only (no player), and no sound card is used.
 *
 * Early media: on a 183 with SDP it reports CALL_PROGRESS, starts its audio both ways at once, and sends
 * the keys of `sndcode` as RFC 4733 telephone-events right away (about 250 ms a key, queued).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, freeUdpPort } from "../../../api/test/support/net.ts";
import { readWav, type Wav } from "./wav.ts";

export interface BaresipOptions {
  /** SIP user part of the account (the From URI is sip:<user>@<address>) */
  user: string;
  displayName?: string;
  /** loopback address of its own to listen on for SIP and RTP: 127.0.0.2, 127.0.0.3, ... */
  address: string;
  /** WAV played as the microphone: S16LE mono 8 kHz, longer than any call */
  source: string;
  codecs?: ("PCMU" | "PCMA")[];
  /** safety net: the process quits by itself after this many seconds (default 180) */
  lifetimeS?: number;
}

/** A ctrl_tcp event: `type` is CALL_PROGRESS, CALL_RINGING, CALL_ESTABLISHED, CALL_CLOSED, CALL_DTMF_START, ... */
export interface BaresipEvent {
  type: string;
  class?: string;
  accountaor?: string;
  direction?: string;
  peeruri?: string;
  /** the call's id */
  id?: string;
  /** CALL_CLOSED: the reason (e.g. "Connection reset by peer", "403 Forbidden") */
  param?: string;
  /** Date.now() when it arrived */
  at: number;
}

interface Pending {
  resolve: (data: string) => void;
  reject: (err: Error) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits for `p` at most `ms` (and leaves no timer behind). */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

export class Baresip {
  readonly events: BaresipEvent[] = [];
  /** index in `events` where the last dial started: waitFor looks from there by default */
  private callStart = 0;
  private readonly pending = new Map<string, Pending>();
  private readonly waiters = new Set<() => void>();
  private nextToken = 1;
  private buf = "";
  private exitCode: number | string | null | undefined = undefined;

  private constructor(
    readonly options: BaresipOptions,
    readonly dir: string,
    readonly recordDir: string,
    readonly sipPort: number,
    readonly ctrlPort: number,
    private readonly child: ChildProcess,
    private readonly socket: Socket,
  ) {
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => this.onData(d));
    socket.on("error", () => {});
    child.once("exit", (code, signal) => {
      this.exitCode = code ?? signal;
      for (const p of this.pending.values()) p.reject(new Error(`baresip exited (${this.exitCode})`));
      this.pending.clear();
      this.notify();
    });
  }

  static async start(options: BaresipOptions): Promise<Baresip> {
    const dir = mkdtempSync(join(tmpdir(), `dcon-baresip-${options.user}-`));
    const recordDir = join(dir, "rec");
    mkdirSync(recordDir);
    const sipPort = await freeUdpPort();
    const ctrlPort = await freePort();
    const rtpBase = 20000 + Math.floor(Math.random() * 400) * 100;
    const codecs = (options.codecs ?? ["PCMU", "PCMA"]).map((c) => `${c}/8000/1`).join(",");
    // The whitespace between key and value must be present; the value runs to the end of the line.
    writeFileSync(join(dir, "config"), [
      "poll_method\tepoll",
      `sip_listen\t${options.address}:${sipPort}`,
      // an IP address (not an interface name): the address put in Contact, Via and SDP
      `net_interface\t${options.address}`,
      `audio_source\taufile,${options.source}`,
      "audio_player\t",
      "audio_alert\t",
      "ausrc_srate\t8000",
      "auplay_srate\t8000",
      "ausrc_channels\t1",
      "auplay_channels\t1",
      "audio_level\tno",
      `rtp_ports\t${rtpBase}-${rtpBase + 99}`,
      "rtcp_mux\tno",
      "jitter_buffer_delay\t5-10",
      "module_path\t/usr/lib/baresip/modules",
      "module\tg711.so",
      "module\taufile.so",
      // audio filter: dumps each call's decoded received audio (and the encoded sent audio) as WAV
      "module\tsndfile.so",
      `snd_path\t${recordDir}`,
      "module_app\taccount.so",
      "module_app\tmenu.so",
      "module_app\tctrl_tcp.so",
      `ctrl_tcp_listen\t127.0.0.1:${ctrlPort}`,
      "",
    ].join("\n"));
    const aor = `<sip:${options.user}@${options.address}>;regint=0;audio_codecs=${codecs}`;
    writeFileSync(join(dir, "accounts"), `${options.displayName ? `"${options.displayName}" ` : ""}${aor}\n`);
    // The status line is rewritten several times a second: to a file, never into a pipe nobody drains.
    const logFd = openSync(join(dir, "baresip.log"), "w");
    const child = spawn("baresip", ["-f", dir, "-t", String(options.lifetimeS ?? 180)], { cwd: dir, stdio: ["ignore", logFd, logFd] });
    closeSync(logFd);
    const started = new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", reject);
    });
    await started;
    let socket: Socket | undefined;
    for (let i = 0; i < 100 && !socket; i++) {
      socket = await new Promise<Socket | undefined>((resolve) => {
        const s = connect(ctrlPort, "127.0.0.1", () => resolve(s));
        s.once("error", () => resolve(undefined));
      });
      if (!socket) {
        if (child.exitCode !== null) break;
        await sleep(50);
      }
    }
    if (!socket) {
      child.kill("SIGKILL");
      throw new Error(`baresip did not open its control port ${ctrlPort}:\n${readLog(dir)}`);
    }
    return new Baresip(options, dir, recordDir, sipPort, ctrlPort, child, socket);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** The tail of baresip's own output (for failure messages). */
  log(chars = 4000): string {
    return readLog(this.dir).slice(-chars);
  }

  private onData(d: string): void {
    this.buf += d;
    for (;;) {
      // netstring: <length>:<payload>,
      const colon = this.buf.indexOf(":");
      if (colon < 0) return;
      const len = Number(this.buf.slice(0, colon));
      if (this.buf.length < colon + 1 + len + 1) return;
      const msg = JSON.parse(this.buf.slice(colon + 1, colon + 1 + len)) as Record<string, unknown>;
      this.buf = this.buf.slice(colon + 2 + len);
      if (msg.response) {
        const p = this.pending.get(String(msg.token));
        this.pending.delete(String(msg.token));
        if (msg.ok) p?.resolve(String(msg.data ?? ""));
        else p?.reject(new Error(`baresip refused the command: ${String(msg.data)}`));
      } else if (msg.event) {
        this.events.push({ ...(msg as Omit<BaresipEvent, "at">), at: Date.now() });
        this.notify();
      }
    }
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Sends one command (as the menu module knows it) and resolves with its response's data. */
  command(command: string, params = ""): Promise<string> {
    if (!this.running) return Promise.reject(new Error(`baresip is not running (${this.exitCode})`));
    const token = `t${this.nextToken++}`;
    const json = JSON.stringify({ command, params, token });
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(token);
        reject(new Error(`baresip did not answer ${command} ${params}`));
      }, 5000);
      this.pending.set(token, {
        resolve: (d) => (clearTimeout(timer), resolve(d)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.socket.write(`${Buffer.byteLength(json)}:${json},`);
    });
  }

  /** Places a call (a fresh recording: earlier calls' dumps are deleted). */
  async dial(uri: string): Promise<void> {
    for (const f of readdirSync(this.recordDir)) rmSync(join(this.recordDir, f), { force: true });
    this.callStart = this.events.length;
    await this.command("dial", uri);
  }

  /**
   * The first event of one of `types` since the last dial (or since event index `since`).
   * Rejects on timeout, or when the process exits first.
   */
  waitFor(types: string | string[], opts: { timeoutMs?: number; since?: number } = {}): Promise<BaresipEvent> {
    const wanted = Array.isArray(types) ? types : [types];
    const since = opts.since ?? this.callStart;
    const timeoutMs = opts.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const check = () => {
        const e = this.events.slice(since).find((x) => wanted.includes(x.type));
        if (e) done(() => resolve(e));
        else if (!this.running) done(() => reject(new Error(`baresip exited (${this.exitCode}) before ${wanted.join("|")}; events: ${this.eventTypes(since).join(", ")}\n${this.log()}`)));
      };
      const done = (f: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        f();
      };
      const timer = setTimeout(() => done(() => reject(new Error(`baresip: no ${wanted.join("|")} in ${timeoutMs} ms; events: ${this.eventTypes(since).join(", ")}`))), timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Event types since the last dial (or `since`). */
  eventTypes(since = this.callStart): string[] {
    return this.events.slice(since).map((e) => e.type);
  }

  /** Keys digits (0-9, *, #, A-D) on the current call as RFC 4733 telephone-events; baresip queues them. */
  async sendDigits(digits: string): Promise<void> {
    await this.command("sndcode", digits);
  }

  async hangup(): Promise<void> {
    await this.command("hangup");
  }

  /**
   * The decoded audio this phone received on its last call, as recorded so far (the file grows while
   * the call lasts; one 8 kHz sample per received sample, in arrival order).
   */
  recording(): Wav {
    const dumps = readdirSync(this.recordDir).filter((f) => f.endsWith("-dec.wav"));
    if (dumps.length === 0) throw new Error(`baresip recorded nothing in ${this.recordDir}`);
    const newest = dumps.map((f) => join(this.recordDir, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
    return readWav(newest);
  }

  /** Asks baresip to quit; kills it if it has not exited within `graceMs`. */
  async quit(graceMs = 3000): Promise<void> {
    if (!this.running) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    // baresip may exit before it answers `quit`
    this.command("quit").catch(() => {});
    await within(exited, graceMs);
    this.stop();
    await within(exited, 1000);
  }

  /** Kills the process by its pid (SIGKILL) and closes the control connection. */
  stop(): void {
    this.socket.destroy();
    if (this.running) {
      try {
        process.kill(this.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}

function readLog(dir: string): string {
  try {
    // drop the status line's carriage-return redraws
    return readFileSync(join(dir, "baresip.log"), "utf8").replace(/\[\d+:\d\d:\d\d\] audio=\d+\/\d+ \(bit\/s\) */g, "");
  } catch {
    return "";
  }
}
