/**
 * Warnings that can repeat many times a second while something outside is broken (the focus' database
 * down: every stanza a peer resends fails to apply, every acknowledgement fails to store). The first of a
 * kind is logged; the same kind again within `intervalMs` is only counted, and the next line logged says
 * how many were left out. What is logged never decides anything: the retries go on regardless.
 */
export interface WarnLogger {
  warn(obj: object, msg?: string): void;
}

export class ThrottledWarn {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: WarnLogger,
    private readonly intervalMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(obj: object, msg: string): void {
    const t = this.now();
    const seen = this.last.get(msg);
    if (seen && t - seen.at < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    this.last.set(msg, { at: t, suppressed: 0 });
    this.log.warn(seen?.suppressed ? { ...obj, suppressed: seen.suppressed } : obj, msg);
  }
}
