/**
 * Tone generators into Int16Array frames: sines and the DTMF dual tones (ITU-T Q.23 frequencies). They keep
 * their phase between calls, so frame after frame is one continuous tone (used by tests, and for the hold
 * tone and PIN prompts).
 */

import type { DtmfDigit } from "./dtmf.ts";

/** ITU-T Q.23: row (low group) and column (high group) frequencies of each key. */
const DTMF_ROWS = [697, 770, 852, 941] as const;
const DTMF_COLUMNS = [1209, 1336, 1477, 1633] as const;
const DTMF_KEYS = ["123A", "456B", "789C", "*0#D"] as const;

/** [low, high] frequencies of a DTMF key. */
export function dtmfFrequencies(digit: DtmfDigit): [number, number] {
  for (let r = 0; r < 4; r++) {
    const c = DTMF_KEYS[r]!.indexOf(digit);
    if (c >= 0) return [DTMF_ROWS[r]!, DTMF_COLUMNS[c]!];
  }
  throw new RangeError(`not a DTMF digit: ${JSON.stringify(digit)}`);
}

export interface ToneOptions {
  /** default 8000 */
  sampleRate?: number;
  /**
   * peak amplitude of each component as a fraction of full scale (0..1); default 0.25 (about -12 dBFS).
   * The components add, so keep the sum at or below 1.
   */
  amplitude?: number;
}

/** A sum of sines with continuous phase across `fill` calls. */
export class ToneGenerator {
  private readonly steps: Float64Array;
  private readonly phases: Float64Array;
  private readonly peak: number;

  constructor(frequenciesHz: readonly number[], options: ToneOptions = {}) {
    const fs = options.sampleRate ?? 8000;
    const amplitude = options.amplitude ?? 0.25;
    if (!(amplitude >= 0 && amplitude * frequenciesHz.length <= 1)) throw new RangeError(`amplitude ${amplitude} x ${frequenciesHz.length} tones exceeds full scale`);
    for (const f of frequenciesHz) if (!(f > 0 && f < fs / 2)) throw new RangeError(`${f} Hz is not between 0 and ${fs / 2} Hz`);
    this.steps = Float64Array.from(frequenciesHz, (f) => (2 * Math.PI * f) / fs);
    this.phases = new Float64Array(frequenciesHz.length);
    this.peak = amplitude * 32767;
  }

  /** Writes the next `length` samples into `out` from `offset` and returns `out`. */
  fill(out: Int16Array, offset = 0, length = out.length - offset): Int16Array {
    const { steps, phases, peak } = this;
    for (let i = offset, end = offset + length; i < end; i++) {
      let v = 0;
      for (let k = 0; k < steps.length; k++) {
        v += Math.sin(phases[k]!);
        phases[k] = (phases[k]! + steps[k]!) % (2 * Math.PI);
      }
      out[i] = Math.round(v * peak);
    }
    return out;
  }
}

/** A ready-made tone of `durationMs` (a sine per frequency, summed). */
export function generateTone(frequenciesHz: readonly number[], durationMs: number, options: ToneOptions = {}): Int16Array {
  const fs = options.sampleRate ?? 8000;
  return new ToneGenerator(frequenciesHz, options).fill(new Int16Array(Math.round((durationMs * fs) / 1000)));
}

/** A DTMF key's dual tone (each component at `amplitude`, default 0.25). */
export function generateDtmf(digit: DtmfDigit, durationMs: number, options: ToneOptions = {}): Int16Array {
  return generateTone(dtmfFrequencies(digit), durationMs, options);
}
