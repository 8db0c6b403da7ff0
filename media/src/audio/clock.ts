/**
 * The frame clock: calls `onTick` every 20 ms (one mixer frame) off a monotonic clock.
 *
 * Tick k is due at start + k * period, computed from the start and never from the previous tick, so timer
 * lateness does not accumulate into drift (a setInterval or a chain of setTimeout(20) loses about a
 * millisecond per tick: 5 % slow, which every listener's jitter buffer would have to absorb). A tick that
 * runs late is followed at once by the ones owed, so the RTP streams the focus sends keep their rate; when
 * the process fell further behind than `maxLagFrames` (a long GC pause, a suspended VM) those frames are
 * skipped instead and counted, since bursting them would only overflow the phones' jitter buffers.
 *
 * The mixer does not depend on this: tests call `mixFrame()` directly, and this clock's time source and
 * timers can be replaced for its own tests.
 */

export interface FrameTick {
  /** frame number since start (0, 1, ...; jumps when frames were skipped) */
  index: number;
  /** when it was due, on the clock's time source (ms) */
  scheduledMs: number;
  /** how late it runs (ms); slightly negative when a timer fired early */
  lateMs: number;
  /** frames skipped just before this one */
  skipped: number;
}

export interface FrameClockStats {
  ticks: number;
  /** frames skipped because the clock fell more than `maxLagFrames` behind */
  skipped: number;
  lastLateMs: number;
  maxLateMs: number;
  meanLateMs: number;
}

export interface ClockTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface FrameClockOptions {
  /** `tick` is the clock's own object, rewritten for the next tick: copy what you keep */
  onTick: (tick: Readonly<FrameTick>) => void;
  /** default 20 */
  periodMs?: number;
  /** fall further behind than this many frames and they are skipped; default 5 (100 ms) */
  maxLagFrames?: number;
  /** a monotonic time source in ms; default performance.now */
  now?: () => number;
  /** default the global setTimeout/clearTimeout */
  timers?: ClockTimers;
  /** errors thrown by `onTick`; without it they propagate (uncaught) and the clock keeps ticking */
  onError?: (err: unknown) => void;
}

const defaultTimers: ClockTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class FrameClock {
  private readonly period: number;
  private readonly maxLag: number;
  private readonly now: () => number;
  private readonly timers: ClockTimers;
  private handle: unknown = null;
  private startMs = 0;
  private next = 0;
  private lateSum = 0;
  private readonly counters: FrameClockStats = { ticks: 0, skipped: 0, lastLateMs: 0, maxLateMs: 0, meanLateMs: 0 };
  private readonly fire = () => this.onTimer();
  /** one object, rewritten for every tick (nothing is allocated per frame) */
  private readonly tick: FrameTick = { index: 0, scheduledMs: 0, lateMs: 0, skipped: 0 };

  constructor(private readonly options: FrameClockOptions) {
    this.period = options.periodMs ?? 20;
    this.maxLag = options.maxLagFrames ?? 5;
    if (!(this.period > 0)) throw new RangeError(`periodMs ${this.period} must be positive`);
    if (!(this.maxLag >= 0)) throw new RangeError(`maxLagFrames ${this.maxLag} must not be negative`);
    this.now = options.now ?? (() => performance.now());
    this.timers = options.timers ?? defaultTimers;
  }

  get running(): boolean {
    return this.handle !== null;
  }

  get stats(): Readonly<FrameClockStats> {
    this.counters.meanLateMs = this.counters.ticks ? this.lateSum / this.counters.ticks : 0;
    return this.counters;
  }

  /** Starts ticking: tick 0 at once, then every period. No-op when running. */
  start(): void {
    if (this.handle !== null) return;
    this.startMs = this.now();
    this.next = 0;
    this.handle = this.timers.setTimeout(this.fire, 0);
  }

  /** Stops; safe to call twice and from `onTick`. */
  stop(): void {
    if (this.handle === null) return;
    this.timers.clearTimeout(this.handle);
    this.handle = null;
  }

  private onTimer(): void {
    if (this.handle === null) return;
    const t = this.now();
    let due = this.startMs + this.next * this.period;
    if (t < due - 1) {
      // Fired early (libuv compares against a cached loop time): wait for the rest.
      this.arm(due - t);
      return;
    }
    const behind = Math.floor((t - due) / this.period);
    let skipped = 0;
    if (behind > this.maxLag) {
      skipped = behind;
      this.next += behind;
      this.counters.skipped += behind;
      due = this.startMs + this.next * this.period;
    }
    const tick = this.tick;
    tick.index = this.next;
    tick.scheduledMs = due;
    tick.lateMs = t - due;
    tick.skipped = skipped;
    this.next++;
    // Arm before running the tick: the delay is to an absolute due time, so the tick's own duration is
    // not added, and a throwing tick cannot stop the clock.
    this.arm(this.startMs + this.next * this.period - t);
    this.counters.ticks++;
    this.counters.lastLateMs = tick.lateMs;
    if (tick.lateMs > this.counters.maxLateMs) this.counters.maxLateMs = tick.lateMs;
    this.lateSum += tick.lateMs;
    if (this.options.onError) {
      try {
        this.options.onTick(tick);
      } catch (err) {
        this.options.onError(err);
      }
    } else {
      this.options.onTick(tick);
    }
  }

  private arm(delayMs: number): void {
    this.handle = this.timers.setTimeout(this.fire, Math.max(0, delayMs));
  }
}
