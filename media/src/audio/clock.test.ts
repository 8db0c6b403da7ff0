import { FrameClock, type ClockTimers, type FrameClockOptions, type FrameTick } from "./clock.ts";

/**
 * A controllable time source and timers; each timer fires `lateness` ms after it is due (negative: early,
 * as libuv's cached loop time allows, but never before 1 ms has passed for a timer of 1 ms or more).
 */
class FakeTime {
  now = 0;
  lateness = 0;
  private seq = 0;
  private queue: { at: number; id: number; fn: () => void }[] = [];
  readonly timers: ClockTimers = {
    setTimeout: (fn, ms) => {
      const id = ++this.seq;
      this.queue.push({ at: this.now + Math.max(ms >= 1 ? 1 : 0, ms + this.lateness), id, fn });
      return id;
    },
    clearTimeout: (handle) => {
      this.queue = this.queue.filter((t) => t.id !== handle);
    },
  };
  advanceTo(t: number): void {
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.queue[0];
      if (!next || next.at > t) break;
      this.queue.shift();
      this.now = Math.max(this.now, next.at);
      next.fn();
    }
    this.now = Math.max(this.now, t);
  }
}

function clock(time: FakeTime, onTick: (tick: Readonly<FrameTick>) => void, options: Partial<FrameClockOptions> = {}) {
  return new FrameClock({ now: () => time.now, timers: time.timers, onTick, ...options });
}

describe("FrameClock", () => {
  test("ticks are scheduled from the start, so late timers and slow ticks do not accumulate drift", () => {
    const time = new FakeTime();
    time.lateness = 1.5;
    const ticks: FrameTick[] = [];
    const c = clock(time, (t) => {
      ticks.push({ ...t });
      time.now += 5; // the mix takes 5 ms
    });
    c.start();
    time.advanceTo(10_000);
    // a chain of setTimeout(20) with 1.5 ms late timers would have ticked about 465 times
    expect(ticks).toHaveLength(500);
    expect(ticks.map((t) => t.index)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(ticks.every((t, i) => t.scheduledMs === i * 20 && t.skipped === 0)).toBe(true);
    expect(Math.max(...ticks.map((t) => t.lateMs))).toBeLessThanOrEqual(1.5);
    expect(c.stats).toMatchObject({ ticks: 500, skipped: 0, maxLateMs: 1.5 });
  });

  test("a timer that fires early is re-armed rather than ticking ahead of time", () => {
    const time = new FakeTime();
    time.lateness = -3;
    const ticks: FrameTick[] = [];
    const c = clock(time, (t) => ticks.push({ ...t }));
    c.start();
    time.advanceTo(1000);
    expect(ticks.length).toBeGreaterThanOrEqual(49);
    expect(ticks.every((t) => t.lateMs >= -1)).toBe(true);
  });

  test("a few frames behind: the owed ticks run at once, nothing skipped", () => {
    const time = new FakeTime();
    const ticks: FrameTick[] = [];
    const c = clock(time, (t) => {
      ticks.push({ ...t });
      if (t.index === 10) time.now += 70; // a 70 ms stall
    });
    c.start();
    time.advanceTo(1000);
    expect(ticks.map((t) => t.index)).toEqual(Array.from({ length: 51 }, (_, i) => i));
    expect(ticks.slice(11, 15).map((t) => t.lateMs)).toEqual([50, 30, 10, 0]);
    expect(c.stats.skipped).toBe(0);
  });

  test("more than maxLagFrames behind: the missed frames are skipped and counted", () => {
    const time = new FakeTime();
    const ticks: FrameTick[] = [];
    const c = clock(
      time,
      (t) => {
        ticks.push({ ...t });
        if (t.index === 10) time.now += 300; // a 300 ms pause (GC, suspended VM)
      },
      { maxLagFrames: 5 },
    );
    c.start();
    time.advanceTo(1000);
    const after = ticks[11]!;
    expect(after.skipped).toBe(14);
    expect(after.index).toBe(11 + 14);
    expect(after.lateMs).toBeLessThan(20);
    expect(c.stats.skipped).toBe(14);
    expect(ticks).toHaveLength(51 - 14);
  });

  test("stop() from a tick stops it; stop twice is harmless; start again restarts from its own start", () => {
    const time = new FakeTime();
    const ticks: FrameTick[] = [];
    const c = clock(time, (t) => {
      ticks.push({ ...t });
      if (t.index === 3) c.stop();
    });
    c.start();
    c.start(); // no second timer
    time.advanceTo(500);
    expect(ticks).toHaveLength(4);
    expect(c.running).toBe(false);
    c.stop();
    c.start();
    time.advanceTo(1000);
    expect(ticks.slice(4).map((t) => t.scheduledMs).slice(0, 2)).toEqual([500, 520]);
  });

  test("onError receives what a tick throws and the clock keeps ticking", () => {
    const time = new FakeTime();
    const errors: unknown[] = [];
    let n = 0;
    const c = clock(
      time,
      () => {
        if (++n === 2) throw new Error("boom");
      },
      { onError: (e) => errors.push(e) },
    );
    c.start();
    time.advanceTo(200);
    expect(errors).toHaveLength(1);
    expect(n).toBe(11);
    c.stop();
  });

  test("on real timers: ticks every 20 ms off performance.now", async () => {
    const ticks: FrameTick[] = [];
    const c = new FrameClock({ onTick: (t) => ticks.push({ ...t }) });
    c.start();
    await new Promise((r) => setTimeout(r, 210));
    c.stop();
    expect(ticks.length).toBeGreaterThanOrEqual(9);
    expect(ticks.length).toBeLessThanOrEqual(12);
    expect(c.stats.meanLateMs).toBeLessThan(10);
  });
});
