/**
 * WAV files (RIFF, PCM S16LE) for the softphone suites: tone fixtures the phones play as their microphone,
 * and the recordings they make of what they receive, read back (also while the phone is still writing them)
 * and measured with the Goertzel detector.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { generateTone, goertzelPower } from "../../src/audio/index.ts";

export interface Wav {
  sampleRate: number;
  channels: number;
  /** interleaved when channels > 1 */
  samples: Int16Array;
}

/** A canonical 44-byte-header PCM WAV of 16-bit samples. */
export function encodeWav(samples: Int16Array, sampleRate = 8000, channels = 1): Buffer {
  const data = samples.length * 2;
  const out = Buffer.alloc(44 + data);
  out.write("RIFF", 0, "ascii");
  out.writeUInt32LE(36 + data, 4);
  out.write("WAVE", 8, "ascii");
  out.write("fmt ", 12, "ascii");
  out.writeUInt32LE(16, 16); // fmt chunk size
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(channels, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * channels * 2, 28); // byte rate
  out.writeUInt16LE(channels * 2, 32); // block align
  out.writeUInt16LE(16, 34); // bits per sample
  out.write("data", 36, "ascii");
  out.writeUInt32LE(data, 40);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i]!, 44 + 2 * i);
  return out;
}

export function writeWav(path: string, samples: Int16Array, sampleRate = 8000): void {
  writeFileSync(path, encodeWav(samples, sampleRate));
}

/** A mono 8 kHz WAV of a steady tone (the sum of `frequenciesHz`, each at `amplitude` of full scale). */
export function writeToneWav(path: string, frequenciesHz: readonly number[], durationMs: number, amplitude = 0.25): string {
  writeWav(path, generateTone(frequenciesHz, durationMs, { amplitude }));
  return path;
}

/** The format to assume for a recording whose header is still a placeholder (see decodeWav). */
export interface PendingFormat {
  sampleRate: number;
  channels: number;
}

/**
 * Reads a 16-bit PCM WAV. A recorder still writing has not filled in the sizes yet (a zero or a stale
 * data size): then the data is whatever follows the header, in whole samples. Some recorders (linphone's)
 * write 44 zero bytes first and the real header only when they close the file: with `pending`, such a
 * file is read as that format after the 44-byte placeholder.
 */
export function decodeWav(buf: Buffer, pending?: PendingFormat): Wav {
  if (pending && buf.length >= 4 && buf.readUInt32LE(0) === 0) {
    if (!buf.subarray(0, Math.min(44, buf.length)).every((b) => b === 0)) throw new Error("neither a RIFF/WAVE file nor a 44-byte placeholder header");
    const samples = new Int16Array(Math.max(0, buf.length - 44) >> 1);
    for (let i = 0; i < samples.length; i++) samples[i] = buf.readInt16LE(44 + 2 * i);
    return { ...pending, samples };
  }
  if (buf.length < 12 || buf.toString("ascii", 0, 4) !== "RIFF" || buf.toString("ascii", 8, 12) !== "WAVE") throw new Error("not a RIFF/WAVE file");
  let at = 12;
  let fmt: { format: number; channels: number; sampleRate: number; bits: number } | null = null;
  while (at + 8 <= buf.length) {
    const id = buf.toString("ascii", at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === "fmt ") {
      fmt = { format: buf.readUInt16LE(body), channels: buf.readUInt16LE(body + 2), sampleRate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14) };
    } else if (id === "data") {
      if (!fmt) throw new Error("WAV data chunk before its fmt chunk");
      if (fmt.format !== 1 || fmt.bits !== 16) throw new Error(`not 16-bit PCM (format ${fmt.format}, ${fmt.bits} bits)`);
      const available = buf.length - body;
      const bytes = size === 0 || size > available ? available : size;
      const samples = new Int16Array(bytes >> 1);
      for (let i = 0; i < samples.length; i++) samples[i] = buf.readInt16LE(body + 2 * i);
      return { sampleRate: fmt.sampleRate, channels: fmt.channels, samples };
    }
    at = body + size + (size & 1);
  }
  // only a header so far
  if (fmt) return { sampleRate: fmt.sampleRate, channels: fmt.channels, samples: new Int16Array(0) };
  throw new Error("WAV without fmt chunk");
}

export function readWav(path: string, pending?: PendingFormat): Wav {
  return decodeWav(readFileSync(path), pending);
}

/** Candidate frequencies the softphone suites measure: the two callers' tones and frequencies nobody sends. */
export const PROBE_HZ = [300, 440, 700, 1000, 1400, 2000] as const;

export interface SpectrumOptions {
  /** first sample (default 0) */
  start?: number;
  /** end sample, exclusive (default: the end) */
  end?: number;
  /** analysis window (default 100 ms) */
  windowMs?: number;
  /** "mean" (default): average over the windows, for steady tones; "max": the loudest window, for short beeps */
  reduce?: "mean" | "max";
  sampleRate?: number;
}

/**
 * Goertzel power of each frequency over windows of `samples[start, end)` (normalized: a full-scale sine
 * gives about 1, so a sine at 0.25 of full scale gives 0.0625; see goertzelPower), averaged or the
 * loudest window. Short windows keep the measure tolerant of the small phase jumps a jitter buffer or
 * packet-loss concealment makes.
 */
export function spectrum(samples: Int16Array, frequenciesHz: readonly number[] = PROBE_HZ, options: SpectrumOptions = {}): Record<number, number> {
  const sampleRate = options.sampleRate ?? 8000;
  const start = Math.max(0, options.start ?? 0);
  const end = Math.min(samples.length, options.end ?? samples.length);
  const window = Math.round(((options.windowMs ?? 100) * sampleRate) / 1000);
  const windows = Math.floor((end - start) / window);
  const out: Record<number, number> = {};
  for (const f of frequenciesHz) {
    let sum = 0;
    let max = 0;
    for (let w = 0; w < windows; w++) {
      const p = goertzelPower(samples, f, { sampleRate, start: start + w * window, length: window });
      sum += p;
      if (p > max) max = p;
    }
    out[f] = windows === 0 ? 0 : options.reduce === "max" ? max : sum / windows;
  }
  return out;
}

/** The strongest other frequency's power divided into `frequencyHz`'s: how far the tone stands out. */
export function dominance(powers: Record<number, number>, frequencyHz: number, ignore: readonly number[] = []): number {
  const others = Object.entries(powers).filter(([f]) => Number(f) !== frequencyHz && !ignore.includes(Number(f))).map(([, p]) => p);
  return powers[frequencyHz]! / Math.max(1e-12, ...others);
}
