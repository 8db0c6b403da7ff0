/**
 * Starts conferences when an occurrence begins and stops them when it is over (RFC 5545 schedule,
 * expanded by ./schedule/recurrence.ts). A simple periodic sweep: a missed tick (process down, clock
 * jump) is caught up by the next, because each sweep compares the stored status with the schedule.
 */
import type { Conferences } from "./conferences.ts";

export interface SchedulerOptions {
  intervalMs: number;
  now?: () => Date;
  onError?: (err: unknown) => void;
  onChange?: (change: { started: string[]; stopped: string[] }) => void;
}

export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly conferences: Conferences, private readonly opts: SchedulerOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sweep(), this.opts.intervalMs);
    this.timer.unref();
    void this.sweep();
  }

  /** One sweep; overlapping calls share the sweep in progress. */
  sweep(): Promise<void> {
    this.running ??= (async () => {
      try {
        const change = await this.conferences.applySchedule((this.opts.now ?? (() => new Date()))());
        if (change.started.length || change.stopped.length) this.opts.onChange?.(change);
      } catch (err) {
        this.opts.onError?.(err);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
