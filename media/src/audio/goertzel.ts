/**
 * The Goertzel algorithm (G. Goertzel, 1958): the power of one DFT bin, in O(N) with one multiply per
 * sample. Used to check what a participant hears (tests), and later for in-band DTMF. The generalized form
 * takes any frequency, not only bin centres k * fs / N, so a 440 Hz tone over a 160-sample frame is fine.
 */

export interface GoertzelOptions {
  /** default 8000 */
  sampleRate?: number;
  /** first sample; default 0 */
  start?: number;
  /** number of samples; default to the end */
  length?: number;
}

/**
 * Power of `frequencyHz` over the block, normalized so that a full-scale sine (amplitude 32767) at exactly
 * that frequency gives about 1 (amplitude^2 / 32768^2); a frequency far from it gives about 0.
 */
export function goertzelPower(samples: Int16Array, frequencyHz: number, options: GoertzelOptions = {}): number {
  const fs = options.sampleRate ?? 8000;
  const start = options.start ?? 0;
  const n = options.length ?? samples.length - start;
  if (start < 0 || n < 0 || start + n > samples.length) throw new RangeError(`block [${start}, ${start + n}) outside ${samples.length} samples`);
  if (n === 0) return 0;
  const coeff = 2 * Math.cos((2 * Math.PI * frequencyHz) / fs);
  let s1 = 0;
  let s2 = 0;
  for (let i = start, end = start + n; i < end; i++) {
    const s0 = samples[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2; // |X(f)|^2
  // A sine of amplitude A gives |X| ~ A * N / 2.
  const scale = (n / 2) * 32768;
  return power / (scale * scale);
}

/** Power of each candidate frequency over the block. */
export function tonePowers(samples: Int16Array, frequenciesHz: readonly number[], options: GoertzelOptions = {}): number[] {
  return frequenciesHz.map((f) => goertzelPower(samples, f, options));
}

export interface DominantOptions extends GoertzelOptions {
  /** below this normalized power nothing is dominant; default 1e-4 (a sine of about -40 dBFS) */
  minPower?: number;
}

/** The candidate with the most power, or null when none reaches `minPower`. */
export function dominantFrequency(samples: Int16Array, candidatesHz: readonly number[], options: DominantOptions = {}): number | null {
  const min = options.minPower ?? 1e-4;
  let best: number | null = null;
  let bestPower = min;
  for (const f of candidatesHz) {
    const p = goertzelPower(samples, f, options);
    if (p >= bestPower) {
      best = f;
      bestPower = p;
    }
  }
  return best;
}
