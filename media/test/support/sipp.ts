/** Runs sipp (Debian sip-tester) scenarios against a focus, for the SIP integration suites. */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeUdpPort } from "../../../api/test/support/net.ts";
import { encodeUlaw, ToneGenerator } from "../../src/audio/index.ts";

export const scenarios = join(import.meta.dirname, "..", "sipp");
/** sipp's working directory: scenario copies, error files, and the audio files rtp_stream plays */
export const sippWork = mkdtempSync(join(tmpdir(), "dcon-sipp-"));

export interface SippRun {
  code: number | null;
  output: string;
}

export interface SippOptions {
  /** the Request-URI user: a dial-in code */
  service?: string;
  calls?: number;
  transport?: "u1" | "t1";
  extra?: string[];
  timeoutS?: number;
}

/**
 * Runs one scenario to completion against 127.0.0.1:`sipPort`; exit code 0 means every call succeeded.
 * Test files run in parallel processes, so a port free when chosen can be taken before sipp binds it: sipp
 * then exits before its first call, and it is started again (up to 3 times) on other ports.
 */
export async function sipp(sipPort: number, scenario: string, opts: SippOptions = {}): Promise<SippRun> {
  for (let attempt = 1; ; attempt++) {
    const run = await sippOnce(sipPort, scenario, opts);
    if (run.code === 0 || attempt === 3 || !/Unable to bind .*Address already in use/.test(run.output)) return run;
  }
}

async function sippOnce(sipPort: number, scenario: string, opts: SippOptions): Promise<SippRun> {
  const port = await freeUdpPort();
  // sipp binds the audio RTP/RTCP ports and the video ones at +2 and +3
  const mediaPort = await freeUdpPort(4);
  const errorFile = join(sippWork, `err-${port}.log`);
  const args = [
    `127.0.0.1:${sipPort}`, "-sf", scenario, "-s", opts.service ?? "focus", "-i", "127.0.0.1", "-p", String(port),
    "-mi", "127.0.0.1", "-mp", String(mediaPort), "-m", String(opts.calls ?? 1), "-t", opts.transport ?? "u1",
    "-timeout", `${opts.timeoutS ?? 20}s`, "-timeout_error", "-nostdin", "-trace_err", "-error_file", errorFile,
    ...(opts.extra ?? []),
  ];
  const child = spawn("sipp", args, { cwd: sippWork, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  let errors = "";
  try {
    errors = readFileSync(errorFile, "utf8");
  } catch {
    // no errors written
  }
  return { code, output: `${output.slice(-2000)}\n${errors.slice(-3000)}` };
}

/** 3 s of a 440 Hz tone as raw u-law in sipp's working directory, for rtp_stream="tone440.ul,…" (it needs a raw file). */
export function writeTone440(): void {
  const pcm = new ToneGenerator([440]).fill(new Int16Array(8000 * 3));
  const ulaw = new Uint8Array(pcm.length);
  encodeUlaw(pcm, ulaw);
  writeFileSync(join(sippWork, "tone440.ul"), ulaw);
}

/** A copy of a scenario with __PLACEHOLDERS__ filled in (sipp reads some attributes as numbers at load). */
export function fillScenario(name: string, values: Record<string, string | number>): string {
  let text = readFileSync(join(scenarios, name), "utf8");
  for (const [k, v] of Object.entries(values)) text = text.replaceAll(`__${k}__`, String(v));
  const suffix = Object.values(values).join("-").replace(/[^A-Za-z0-9-]/g, "");
  // values may be whole XML fragments: a digest keeps the file name short
  const file = join(sippWork, `${name.replace(/\.xml$/, "")}-${suffix.length > 60 ? createHash("sha1").update(suffix).digest("hex").slice(0, 16) : suffix}.xml`);
  writeFileSync(file, text);
  return file;
}

export function expectSippOk(run: SippRun): void {
  if (run.code !== 0) throw new Error(`sipp failed (${run.code}):\n${run.output}`);
}
