/**
 * One class of soak calls: a sipp UAC (Debian sip-tester) placing calls at a steady rate for a bounded
 * number of calls, spread over the soak's conferences, each caller a name from a bounded pool used in turn.
 * sipp itself counts each call as successful or failed; its statistics file is read for progress while it
 * runs and for the final tally once it has exited.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freeUdpPort } from "../support/net.ts";

export class SippError extends Error {
  override readonly name = "SippError";
}

export interface SippLoadOptions {
  /** where its scenario, injection file, statistics and errors go */
  dir: string;
  /** scenario file (api/test/soak/sipp/*.xml) and the values of its __PLACEHOLDERS__ */
  scenario: string;
  values: Record<string, number>;
  /** raw u-law audio the scenario streams (copied as tone.ul into `dir`), if any */
  audio?: Uint8Array;
  sipPort: number;
  dialInCodes: string[];
  /** the caller names: `${namePrefix}-0` … */
  namePrefix: string;
  /** calls a second, and how many in all */
  rate: number;
  calls: number;
  /** the longest a call lasts when all is well (sizes the name pool, the call limit and sipp's global timeout) */
  maxCallMs: number;
}

export interface SippTally {
  created: number;
  successful: number;
  failed: number;
  /** calls up now (while it runs) */
  current: number;
  retransmissions: number;
  /** the Failed*(C) columns that are not 0: why calls failed */
  failures: Record<string, number>;
}

export interface SippResult extends SippTally {
  exitCode: number | null;
  /** the tail of sipp's output and error file, when something went wrong */
  diagnostics: string;
}

/** The last row of sipp's statistics file (`;`-separated, one header line), or null before it has one. */
function tallyOf(file: string): SippTally | null {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return null;
  }
  const lines = text.split("\n").filter((l) => l.trim());
  if (lines.length < 2) return null;
  const head = lines[0]!.split(";");
  const row = lines[lines.length - 1]!.split(";");
  const col = (name: string) => Number(row[head.indexOf(name)] ?? Number.NaN);
  const failures: Record<string, number> = {};
  head.forEach((h, i) => {
    if (h.startsWith("Failed") && h.endsWith("(C)") && h !== "FailedCall(C)" && Number(row[i]) > 0) failures[h] = Number(row[i]);
  });
  return {
    created: col("TotalCallCreated"), successful: col("SuccessfulCall(C)"), failed: col("FailedCall(C)"), current: col("CurrentCall"),
    retransmissions: col("Retransmissions(C)"), failures,
  };
}

export class SippLoad {
  private child: ChildProcess | null = null;
  private output = "";
  private readonly statFile: string;
  private readonly errorFile: string;
  private done: Promise<SippResult> | null = null;

  constructor(private readonly o: SippLoadOptions) {
    mkdirSync(o.dir, { recursive: true });
    this.statFile = join(o.dir, "stat.csv");
    this.errorFile = join(o.dir, "errors.log");
  }

  /**
   * Names are reused in turn; a name comes back after `pool` calls, by then long over (the pool covers
   * three times the calls up at once at the longest call length, and at least 30), so a caller never
   * finds its own name still in the conference (which the focus refuses as a duplicate).
   */
  private writeFiles(): { scenario: string; users: string } {
    const o = this.o;
    let text = readFileSync(o.scenario, "utf8");
    for (const [k, v] of Object.entries(o.values)) text = text.replaceAll(`__${k}__`, String(Math.round(v)));
    const scenario = join(o.dir, "scenario.xml");
    writeFileSync(scenario, text);
    const pool = Math.max(30, Math.ceil(o.rate * (o.maxCallMs / 1000) * 3));
    const rows = Array.from({ length: pool }, (_, i) => `${o.dialInCodes[i % o.dialInCodes.length]};${o.namePrefix}-${i}`);
    const users = join(o.dir, "users.csv");
    writeFileSync(users, `SEQUENTIAL\n${rows.join("\n")}\n`);
    if (o.audio) writeFileSync(join(o.dir, "tone.ul"), o.audio);
    return { scenario, users };
  }

  /** Starts sipp; resolves once it is placing calls (a port taken between choosing and binding: tried again). */
  async start(): Promise<void> {
    const files = this.writeFiles();
    for (let attempt = 1; ; attempt++) {
      const child = await this.spawnOnce(files);
      // sipp fails a bind at once; after a second it is running
      const early = await Promise.race([
        new Promise<number | null>((r) => child.once("exit", (c) => r(c))),
        new Promise<"running">((r) => setTimeout(() => r("running"), 1000)),
      ]);
      if (early === "running") return;
      if (attempt === 3 || !/Unable to bind|Address already in use/.test(this.output)) {
        throw new SippError(`sipp exited (${early}) at start:\n${this.output.slice(-2000)}`);
      }
      this.output = "";
    }
  }

  private async spawnOnce(files: { scenario: string; users: string }): Promise<ChildProcess> {
    const o = this.o;
    const port = await freeUdpPort();
    const mediaPort = await freeUdpPort(4);
    // -r calls per -rp ms: a tenth of a call a second is the finest rate
    const perTenS = Math.max(1, Math.round(o.rate * 10));
    const limit = Math.ceil(o.rate * (o.maxCallMs / 1000) * 3) + 5;
    const globalTimeoutS = Math.ceil(o.calls / o.rate + o.maxCallMs / 1000 + 90);
    const args = [
      `127.0.0.1:${o.sipPort}`, "-sf", files.scenario, "-inf", files.users, "-i", "127.0.0.1", "-p", String(port),
      "-mi", "127.0.0.1", "-mp", String(mediaPort), "-r", String(perTenS), "-rp", "10000", "-m", String(o.calls), "-l", String(limit),
      // a response or request that never comes fails its call instead of holding it until the global timeout
      "-recv_timeout", "40000", "-timeout", `${globalTimeoutS}s`, "-timeout_error", "-nostdin",
      "-trace_stat", "-stf", this.statFile, "-fd", "5", "-trace_err", "-error_file", this.errorFile,
    ];
    const child = spawn("sipp", args, { cwd: o.dir, stdio: ["ignore", "pipe", "pipe"] });
    const keep = (d: Buffer) => {
      this.output += d.toString();
      if (this.output.length > 64_000) this.output = this.output.slice(-32_000);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    this.child = child;
    this.done = new Promise<SippResult>((resolve) => {
      child.once("exit", (code, signal) => {
        const tally = tallyOf(this.statFile) ?? { created: 0, successful: 0, failed: 0, current: 0, retransmissions: 0, failures: {} };
        const exitCode = code ?? (signal ? -1 : null);
        let errors = "";
        try {
          errors = readFileSync(this.errorFile, "utf8").slice(-3000);
        } catch {
          // no error file: no errors
        }
        const clean = exitCode === 0 && tally.failed === 0;
        resolve({ ...tally, exitCode, diagnostics: clean ? "" : `${this.output.slice(-1500)}\n${errors}` });
      });
    });
    return child;
  }

  /** The tally so far (sipp writes its statistics every 5 s). */
  progress(): SippTally | null {
    return tallyOf(this.statFile);
  }

  /** Resolves once sipp has placed all its calls and they have ended (or its global timeout stopped it). */
  finished(): Promise<SippResult> {
    if (!this.done) throw new SippError("sipp was not started");
    return this.done;
  }

  /** Stops sipp at once (on abort); harmless once it has exited. */
  kill(): void {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}
