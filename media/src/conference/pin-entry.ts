/**
 * Reading a conference PIN from a caller's keys (RFC 4733 digits): the caller keys the PIN and ends it
 * with '#'; '*' starts over; a PIN is at most `maxLength` digits (a longer entry is submitted as is and
 * is wrong). Three wrong PINs end the attempt, as phone systems usually do. The PIN itself is never
 * logged: callers of this class get it only to check it.
 */
export type PinKey =
  /** keep reading */
  | { kind: "collecting" }
  /** '*': the entry so far was dropped */
  | { kind: "cleared" }
  /** the caller finished an entry: check it */
  | { kind: "submit"; pin: string };

export class PinEntry {
  private digits = "";
  private wrongs = 0;

  constructor(
    readonly maxTries = 3,
    readonly maxLength = 16,
  ) {}

  /** Wrong PINs so far. */
  get tries(): number {
    return this.wrongs;
  }

  /** Whether the caller has started keying an entry. */
  get typing(): boolean {
    return this.digits.length > 0;
  }

  key(digit: string): PinKey {
    if (digit === "*") {
      this.digits = "";
      return { kind: "cleared" };
    }
    if (digit === "#") {
      if (this.digits.length === 0) return { kind: "collecting" };
      return this.take();
    }
    if (!/^[0-9]$/.test(digit)) return { kind: "collecting" }; // A-D: not part of a PIN
    this.digits += digit;
    return this.digits.length > this.maxLength ? this.take() : { kind: "collecting" };
  }

  /** The checked entry was wrong: "retry", or "exhausted" after `maxTries`. */
  wrong(): "retry" | "exhausted" {
    this.wrongs++;
    return this.wrongs >= this.maxTries ? "exhausted" : "retry";
  }

  private take(): PinKey {
    const pin = this.digits;
    this.digits = "";
    return { kind: "submit", pin };
  }
}
