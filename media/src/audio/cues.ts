/**
 * Audible cues the focus plays to one caller outside the mix: the PIN prompt, the wrong-PIN signal and
 * the lobby's hold tone. Each cue is a cadence of tone and silence segments (like the call-progress
 * tones of ITU-T E.180); a `CuePlayer` renders a queue of cues frame by frame, the last one looping.
 * Tones, not recorded speech: no audio files to ship or to translate, and every phone can play them.
 */
import { ToneGenerator } from "./tone.ts";

export interface CueSegment {
  /** frequencies summed in this segment; empty for silence */
  hz: readonly number[];
  ms: number;
}

export interface Cue {
  name: string;
  segments: readonly CueSegment[];
}

const beep = (hz: number, ms: number): CueSegment => ({ hz: [hz], ms });
const pause = (ms: number): CueSegment => ({ hz: [], ms });

/** "Enter your PIN, then #": three rising beeps, then four seconds for the caller to key. */
export const PIN_PROMPT: Cue = {
  name: "pin-prompt",
  segments: [beep(600, 120), pause(60), beep(800, 120), pause(60), beep(1000, 160), pause(4000)],
};

/** A wrong PIN: three short bursts of the 480+620 Hz reorder tone (the North American "fast busy" pair). */
export const PIN_WRONG: Cue = {
  name: "pin-wrong",
  segments: [{ hz: [480, 620], ms: 250 }, pause(250), { hz: [480, 620], ms: 250 }, pause(250), { hz: [480, 620], ms: 250 }, pause(500)],
};

/** Waiting in the lobby: a soft 425 Hz tone (the European comfort/waiting frequency), 0.6 s every 3 s. */
export const LOBBY_HOLD: Cue = {
  name: "lobby-hold",
  segments: [beep(425, 600), pause(2400)],
};

const AMPLITUDE = 0.2;

/**
 * Plays cues one after the other into 8 kHz frames; the last cue of the queue repeats until `play` is
 * called again. Generators are made once per distinct tone set, so frames allocate nothing.
 */
export class CuePlayer {
  private queue: readonly Cue[] = [];
  private cue = 0;
  private segment = 0;
  /** samples left in the current segment */
  private left = 0;
  private readonly generators = new Map<string, ToneGenerator>();

  constructor(...cues: Cue[]) {
    this.play(...cues);
  }

  /** Replaces what is playing; `cues` play in order, the last one looping. */
  play(...cues: Cue[]): void {
    if (cues.length === 0) throw new RangeError("play needs at least one cue");
    for (const c of cues) {
      if (c.segments.length === 0 || c.segments.some((s) => !(s.ms > 0))) throw new RangeError(`cue ${c.name}: every segment needs a positive duration`);
      for (const s of c.segments) if (s.hz.length > 0) this.generator(s.hz);
    }
    this.queue = cues;
    this.cue = 0;
    this.segment = 0;
    this.left = samples(cues[0]!.segments[0]!.ms);
  }

  /** The name of the cue now playing. */
  get playing(): string {
    return this.queue[this.cue]!.name;
  }

  /** Writes the next `out.length` samples. */
  fill(out: Int16Array): Int16Array {
    let at = 0;
    while (at < out.length) {
      const seg = this.queue[this.cue]!.segments[this.segment]!;
      const n = Math.min(this.left, out.length - at);
      if (seg.hz.length === 0) out.fill(0, at, at + n);
      else this.generator(seg.hz).fill(out, at, n);
      at += n;
      this.left -= n;
      if (this.left === 0) this.advance();
    }
    return out;
  }

  private advance(): void {
    const segments = this.queue[this.cue]!.segments;
    if (++this.segment === segments.length) {
      this.segment = 0;
      if (this.cue < this.queue.length - 1) this.cue++;
    }
    this.left = samples(this.queue[this.cue]!.segments[this.segment]!.ms);
  }

  private generator(hz: readonly number[]): ToneGenerator {
    const key = hz.join("+");
    let g = this.generators.get(key);
    if (!g) {
      g = new ToneGenerator(hz, { amplitude: AMPLITUDE / hz.length });
      this.generators.set(key, g);
    }
    return g;
  }
}

const samples = (ms: number) => Math.max(1, Math.round(ms * 8));
