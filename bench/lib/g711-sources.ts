/**
 * Benchmark audio: pre-encoded 20 ms G.711 frames (one-second cycles of 50 frames) for participants who
 * talk (steady tones) and for those who do not (uniform noise at a chosen level). Deterministic, so runs
 * compare; encoded once, so sending them costs the load generator nothing but a copy.
 */
import { encodeG711, type G711Codec } from "../../media/src/audio/g711.ts";
import { ToneGenerator } from "../../media/src/audio/tone.ts";

export const FRAME_SAMPLES = 160;
/** frames per cycle: one second */
export const CYCLE = 50;

/** One cycle of encoded frames per law. */
export type EncodedCycle = Record<G711Codec, Uint8Array[]>;

export function encodeCycle(fill: (pcm: Int16Array, frame: number) => void): EncodedCycle {
  const out: EncodedCycle = { PCMU: [], PCMA: [] };
  const pcm = new Int16Array(FRAME_SAMPLES);
  for (let f = 0; f < CYCLE; f++) {
    fill(pcm, f);
    for (const codec of ["PCMU", "PCMA"] as const) {
      const payload = new Uint8Array(FRAME_SAMPLES);
      encodeG711(codec, pcm, payload);
      out[codec].push(payload);
    }
  }
  return out;
}

/** A deterministic pseudo-random generator (xorshift32) giving values in [-0.5, 0.5). */
export function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000 - 0.5;
  };
}

/** Talkers' sources: eight steady tones at 0.2 of full scale (about -17 dBov RMS). */
export function toneCycles(): EncodedCycle[] {
  return [300, 440, 523, 660, 784, 880, 1000, 1200].map((f) => {
    const g = new ToneGenerator([f], { amplitude: 0.2 });
    return encodeCycle((pcm) => g.fill(pcm));
  });
}

/** Uniform noise at `dbov` RMS (0 dBov = RMS 32768; uniform noise of RMS r spans r * sqrt(12)). */
export function noiseCycle(dbov: number, seed: number): EncodedCycle {
  const rms = 32768 * 10 ** (dbov / 20);
  const rnd = xorshift(seed);
  return encodeCycle((pcm) => {
    for (let i = 0; i < FRAME_SAMPLES; i++) pcm[i] = Math.round(rnd() * rms * Math.sqrt(12));
  });
}
