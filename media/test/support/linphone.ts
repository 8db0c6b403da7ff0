/**
 * linphone-cli (Debian linphonec 5.1) as a real softphone for the SIP suites, driven by commands on its
 * stdin; its call state lines on stdout ("Call 1 with sip:... connected.") are the events.
 *
 * What this version needs (checked by running it):
 * - a HOME of its own with `.local/share/linphone` in it, or the SIP core never starts;
 * - `[sip] bind_address` and `[rtp] bind_address` to keep SIP and RTP on one loopback address (otherwise
 *   the SDP carries the host's guessed public address, IPv6 first);
 * - codecs cannot be restricted in the rc file (the core rewrites the list and appends the ones missing):
 *   `codec list` then `codec disable <n>` for everything that is not PCMU or PCMA;
 * - `soundcard use files`, then `play <wav>` (the microphone) and `record <wav>` (what it receives) before
 *   each call; the recording is written while the call lasts (in 4 KiB steps), after a 44-byte
 *   placeholder of zeros that becomes the WAV header when the call ends;
 * - a line of DTMF digits is sent as RFC 4733 events (also during early media), but linphonec pauses a
 *   second after each key and reads no command meanwhile, so a 4-digit PIN and '#' take five seconds;
 * - on a 183 with SDP it starts its media and sends the played file at once (without --early-media), and
 *   two STUN binding requests from its RTP port;
 * - end of stdin makes it quit, so a test runner that dies takes its linphonec along.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeUdpPort } from "../../../api/test/support/net.ts";
import { readWav, type Wav } from "./wav.ts";

export interface LinphoneOptions {
  /** SIP user part of its identity (From: sip:<user>@<address>) */
  user: string;
  displayName?: string;
  /** loopback address of its own for SIP and RTP: 127.0.0.2, 127.0.0.3, ... */
  address: string;
  /** WAV played as the microphone (mono 8 kHz, longer than any call) */
  source: string;
}

export interface LinphoneLine {
  text: string;
  /** Date.now() when it arrived */
  at: number;
}

export interface CallEnd {
  /** "ended" with linphone's reason ("No error", "Call declined", ...), or "error" */
  how: "ended" | "error";
  reason: string;
}

const PROMPT = "linphonec> ";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits for `p` at most `ms` (and leaves no timer behind). */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export class Linphone {
  readonly lines: LinphoneLine[] = [];
  /** the id linphonec gave the last call */
  callId = 0;
  /** index in `lines` where the last call started */
  private callStart = 0;
  private recordPath: string | null = null;
  private partial = "";
  private stderr = "";
  private readonly waiters = new Set<() => void>();
  private exitCode: number | string | null | undefined = undefined;
  private calls = 0;

  private constructor(
    readonly options: LinphoneOptions,
    readonly dir: string,
    readonly sipPort: number,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d: string) => this.onStdout(d));
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => (this.stderr = (this.stderr + d).slice(-8000)));
    child.stdin.on("error", () => {});
    child.once("exit", (code, signal) => {
      this.exitCode = code ?? signal;
      this.notify();
    });
  }

  static async start(options: LinphoneOptions): Promise<Linphone> {
    const dir = mkdtempSync(join(tmpdir(), `dcon-linphone-${options.user}-`));
    const home = join(dir, "home");
    mkdirSync(join(home, ".local", "share", "linphone"), { recursive: true });
    const sipPort = await freeUdpPort();
    const rtpPort = await freeUdpPort(true);
    const rc = join(dir, "linphonerc");
    const identity = `${options.displayName ? `"${options.displayName}" ` : ""}<sip:${options.user}@${options.address}>`;
    writeFileSync(rc, [
      "[sip]",
      `contact=${identity}`,
      `sip_port=${sipPort}`,
      // 0: no TCP or TLS listener (-1 would pick a random port)
      "sip_tcp_port=0",
      "sip_tls_port=0",
      `bind_address=${options.address}`,
      "guess_hostname=0",
      "use_ipv6=0",
      // without this the core "migrates" the config to use_ipv6=1 on first start
      "ipv6_migration_done=1",
      "use_rfc2833=1",
      "use_info=0",
      "[rtp]",
      `audio_rtp_port=${rtpPort}`,
      `bind_address=${options.address}`,
      "[sound]",
      "echocancellation=0",
      "",
    ].join("\n"));
    const child = spawn("linphonec", ["-c", rc, "-d", "0"], { cwd: dir, env: { ...process.env, HOME: home }, stdio: ["pipe", "pipe", "pipe"] });
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", reject);
    });
    const phone = new Linphone(options, dir, sipPort, child);
    try {
      let mark = phone.lines.length;
      phone.send("soundcard use files");
      await phone.waitFor(/Using wav files instead of soundcard/, { since: mark, timeoutMs: 10_000 });
      mark = phone.lines.length;
      phone.send("codec list");
      await phone.waitFor(/^\s*\d+: PCMA \(8000\)/, { since: mark });
      await sleep(200); // the rest of the list
      for (const l of phone.lines.slice(mark)) {
        const m = /^\s*(\d+): (\S+) \((\d+)\) (enabled|disabled)/.exec(l.text);
        if (m && m[4] === "enabled" && !(["PCMU", "PCMA"].includes(m[2]!) && m[3] === "8000")) phone.send(`codec disable ${m[1]}`);
      }
      phone.send(`play ${options.source}`);
    } catch (err) {
      phone.stop();
      throw err;
    }
    return phone;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** What linphonec printed (stdout lines, then the tail of stderr), for failure messages. */
  log(lines = 60): string {
    return `${this.lines.slice(-lines).map((l) => l.text).join("\n")}\n--- stderr ---\n${this.stderr.slice(-2000)}`;
  }

  private onStdout(d: string): void {
    this.partial += d;
    const parts = this.partial.split("\n");
    this.partial = parts.pop()!;
    for (let text of parts) {
      while (text.startsWith(PROMPT)) text = text.slice(PROMPT.length);
      text = text.replace(/\r$/, "");
      if (text) this.lines.push({ text, at: Date.now() });
    }
    this.notify();
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  /** One command line on stdin. */
  send(line: string): void {
    if (!this.running) throw new Error(`linphonec is not running (${this.exitCode})`);
    this.child.stdin.write(`${line}\n`);
  }

  /** The first line matching `re` since the last call started (or since line index `since`). */
  waitFor(re: RegExp, opts: { since?: number; timeoutMs?: number } = {}): Promise<RegExpExecArray> {
    const since = opts.since ?? this.callStart;
    const timeoutMs = opts.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const check = () => {
        for (const l of this.lines.slice(since)) {
          const m = re.exec(l.text);
          if (m) return done(() => resolve(m));
        }
        if (!this.running) done(() => reject(new Error(`linphonec exited (${this.exitCode}) before ${re}:\n${this.log()}`)));
      };
      const done = (f: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        f();
      };
      const timer = setTimeout(() => done(() => reject(new Error(`linphonec: no ${re} in ${timeoutMs} ms:\n${this.log()}`))), timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /**
   * Places a call, recording what it receives to a new WAV in its directory; resolves with linphonec's
   * id for the call once the INVITE is out.
   */
  async call(uri: string): Promise<number> {
    this.callStart = this.lines.length;
    this.recordPath = join(this.dir, `received-${++this.calls}.wav`);
    this.send(`record ${this.recordPath}`);
    this.send(`call ${uri}`);
    const m = await this.waitFor(/^Call (\d+) to \S+ in progress\./);
    this.callId = Number(m[1]);
    return this.callId;
  }

  /** The last call reached "connected" (answered with 200 and ACKed). */
  connected(timeoutMs = 10_000): Promise<RegExpExecArray> {
    return this.waitFor(new RegExp(`^Call ${this.callId} with \\S+ connected\\.`), { timeoutMs });
  }

  /** The last call ended: hung up by either side, or refused. */
  async ended(timeoutMs = 10_000): Promise<CallEnd> {
    const m = await this.waitFor(new RegExp(`^Call ${this.callId} with \\S+ (?:ended \\((.*)\\)|(error))\\.`), { timeoutMs });
    return m[2] ? { how: "error", reason: "" } : { how: "ended", reason: m[1]! };
  }

  /** Whether a line matching `re` came since the last call started. */
  saw(re: RegExp): boolean {
    return this.lines.slice(this.callStart).some((l) => re.test(l.text));
  }

  /**
   * Keys digits on the current call, one command line each (RFC 4733 events); resolves once linphonec has
   * taken the last one (it pauses a second after each key).
   */
  async sendDigits(digits: string): Promise<void> {
    for (const d of digits) {
      const mark = this.lines.length;
      this.send(d);
      // linphonec echoes each line it reads, then sends the key and sleeps
      await this.waitFor(new RegExp(`^${escape(d)}$`), { since: mark, timeoutMs: 5000 });
    }
    await sleep(1000);
  }

  async terminate(): Promise<CallEnd> {
    this.send("terminate");
    return this.ended();
  }

  /** What this phone received on its last call, as recorded so far. */
  recording(): Wav {
    if (!this.recordPath) throw new Error("linphonec has made no call");
    // Until the call ends the file starts with 44 zero bytes (the header is written on close); the
    // recorder runs at the codec's rate, and only 8 kHz G.711 is enabled.
    return readWav(this.recordPath, { sampleRate: 8000, channels: 1 });
  }

  /** Asks linphonec to quit; kills it if it has not exited within `graceMs`. */
  async quit(graceMs = 3000): Promise<void> {
    if (!this.running) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    try {
      this.send("quit");
      this.child.stdin.end();
    } catch {
      // exited meanwhile
    }
    await within(exited, graceMs);
    this.stop();
    await within(exited, 1000);
  }

  /** Kills the process by its pid (SIGKILL). */
  stop(): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
