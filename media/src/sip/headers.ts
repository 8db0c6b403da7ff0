/**
 * SIP header fields: an ordered, case-insensitive multimap (RFC 3261 section 7.3).
 *
 * One entry per header line, in wire order, because the relative order of lines of the same name is
 * significant (Via, Route, Record-Route: section 7.3.1) and a proxy must keep it. Names are matched
 * case-insensitively and compact forms (section 7.3.3, IANA "Header Fields" registry) are mapped to the
 * full name, so `get("v")`, `get("via")` and `get("Via")` agree. Serialization writes canonical full
 * names for the headers we know and the received spelling for the others.
 */
import { splitList, TOKEN, scan } from "./grammar.ts";

/** Compact forms: RFC 3261 section 7.3.3 and the IANA registry (RFC 3265, 3515, 3892, 4028, 3841, 4474). */
const COMPACT: ReadonlyMap<string, string> = new Map([
  ["i", "call-id"],
  ["m", "contact"],
  ["e", "content-encoding"],
  ["l", "content-length"],
  ["c", "content-type"],
  ["f", "from"],
  ["s", "subject"],
  ["k", "supported"],
  ["t", "to"],
  ["v", "via"],
  ["o", "event"],
  ["u", "allow-events"],
  ["r", "refer-to"],
  ["b", "referred-by"],
  ["x", "session-expires"],
  ["a", "accept-contact"],
  ["j", "reject-contact"],
  ["d", "request-disposition"],
  ["y", "identity"],
  ["n", "identity-info"],
]);

/** How we write the headers we know; unknown ones keep the spelling they arrived (or were set) with. */
const CANONICAL_NAMES = [
  "Accept", "Accept-Contact", "Accept-Encoding", "Accept-Language", "Accept-Resource-Priority", "Alert-Info",
  "Allow", "Allow-Events", "Authentication-Info", "Authorization", "Call-ID", "Call-Info", "Contact",
  "Content-Disposition", "Content-Encoding", "Content-Language", "Content-Length", "Content-Type", "CSeq",
  "Date", "Error-Info", "Event", "Expires", "From", "History-Info", "Identity", "Identity-Info",
  "In-Reply-To", "Max-Forwards", "MIME-Version", "Min-Expires", "Min-SE", "Organization",
  "P-Asserted-Identity", "P-Preferred-Identity", "Path", "Priority", "Privacy", "Proxy-Authenticate",
  "Proxy-Authorization", "Proxy-Require", "RAck", "Reason", "Record-Route", "Refer-Sub", "Refer-To",
  "Referred-By", "Reject-Contact", "Replaces", "Reply-To", "Request-Disposition", "Require",
  "Resource-Priority", "Retry-After", "Route", "RSeq", "Security-Client", "Security-Server",
  "Security-Verify", "Server", "Service-Route", "Session-Expires", "SIP-ETag", "SIP-If-Match", "Subject",
  "Subscription-State", "Supported", "Target-Dialog", "Timestamp", "To", "Unsupported", "User-Agent", "Via",
  "Warning", "WWW-Authenticate",
];
const CANONICAL: ReadonlyMap<string, string> = new Map(CANONICAL_NAMES.map((n) => [n.toLowerCase(), n]));

/**
 * Headers whose grammar is a comma-separated list (`#element` / `1#element` in RFC 3261 section 25.1 and
 * its extensions), so that `Via: a, b` means the same as two Via lines (section 7.3.1). The authentication
 * headers are deliberately absent: section 7.3.1 forbids combining them, and their commas are internal.
 */
const LIST_HEADERS: ReadonlySet<string> = new Set([
  "accept", "accept-contact", "accept-encoding", "accept-language", "accept-resource-priority", "alert-info",
  "allow", "allow-events", "call-info", "contact", "content-encoding", "content-language", "error-info",
  "history-info", "in-reply-to", "p-asserted-identity", "p-preferred-identity", "path", "proxy-require",
  "reason", "record-route", "reject-contact", "request-disposition", "require", "resource-priority", "route",
  "security-client", "security-server", "security-verify", "service-route", "supported", "unsupported",
  "via", "warning",
]);

/**
 * A cache of name -> key for the spellings we expect (canonical, lowercase, compact), so the common
 * look-ups skip toLowerCase. It is filled once here and never from the wire, so a peer cannot grow it.
 */
const KEY_CACHE = new Map<string, string>();
for (const name of CANONICAL_NAMES) {
  KEY_CACHE.set(name, name.toLowerCase());
  KEY_CACHE.set(name.toLowerCase(), name.toLowerCase());
}
for (const [letter, key] of COMPACT) {
  KEY_CACHE.set(letter, key);
  KEY_CACHE.set(letter.toUpperCase(), key);
}

/** The lowercase full name a header is stored under. */
export function headerKey(name: string): string {
  const cached = KEY_CACHE.get(name);
  if (cached !== undefined) return cached;
  const lower = name.toLowerCase();
  return (lower.length === 1 ? COMPACT.get(lower) : undefined) ?? lower;
}

/** The name we write for a header: canonical when known, otherwise as given. */
export function canonicalName(key: string, given: string): string {
  // Every compact form stands for a name in CANONICAL, so `given` is never a compact letter here.
  return CANONICAL.get(key) ?? given;
}

export function isListHeader(name: string): boolean {
  return LIST_HEADERS.has(headerKey(name));
}

/** Internal hook for the message parser, which has already validated and normalized every line. */
export const kAdopt: unique symbol = Symbol("SipHeaders.adopt");
/** Internal hook: the raw parallel arrays, read-only by convention, for the message layer's own loops. */
export const kLines: unique symbol = Symbol("SipHeaders.lines");

const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;

function assertName(name: string): void {
  if (name.length === 0 || scan(name, 0, name.length, TOKEN) !== name.length) {
    throw new TypeError(`SIP header name must be a token (RFC 3261 section 25.1): ${JSON.stringify(name)}`);
  }
}

function assertValue(name: string, value: string): void {
  // CR / LF would let a value inject header lines; other controls are not TEXT-UTF8 (section 25.1).
  if (BAD_VALUE.test(value)) throw new TypeError(`SIP header ${name} has a control character in its value`);
}

export class SipHeaders implements Iterable<[name: string, value: string]> {
  // Parallel arrays, one slot per header line: the name we write, the lowercase full name we match on,
  // and the unfolded value. Plain arrays keep parsing to three pushes per line.
  private names: string[] = [];
  private keys: string[] = [];
  private values: string[] = [];

  constructor(init?: Iterable<readonly [string, string]>) {
    if (init) for (const [name, value] of init) this.append(name, value);
  }

  /** @internal Takes ownership of already validated arrays (the parser's fast path). */
  static [kAdopt](names: string[], keys: string[], values: string[]): SipHeaders {
    const h = new SipHeaders();
    h.names = names;
    h.keys = keys;
    h.values = values;
    return h;
  }

  /** @internal */
  [kLines](): { readonly names: readonly string[]; readonly keys: readonly string[]; readonly values: readonly string[] } {
    return { names: this.names, keys: this.keys, values: this.values };
  }

  /** Number of header lines. */
  get size(): number {
    return this.keys.length;
  }

  /**
   * The first value: for list headers (Via, Contact, Route, ...) the first list element, even when one
   * line carries several; for others the first line's value. Undefined when absent.
   */
  get(name: string): string | undefined {
    const key = headerKey(name);
    const list = LIST_HEADERS.has(key);
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] !== key) continue;
      const value = this.values[i]!;
      if (!list) return value;
      if (value.indexOf(",") < 0) {
        if (value.length > 0) return value;
        continue;
      }
      const first = splitList(value, false)[0];
      if (first !== undefined) return first;
    }
    return undefined;
  }

  /**
   * Every value in wire order. List headers are split at their top-level commas (not inside quotes or
   * `<...>`), with empty elements dropped; other headers give one value per line.
   */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const list = LIST_HEADERS.has(key);
    const out: string[] = [];
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] !== key) continue;
      if (list) splitList(this.values[i]!, false, out);
      else out.push(this.values[i]!);
    }
    return out;
  }

  has(name: string): boolean {
    return this.keys.indexOf(headerKey(name)) >= 0;
  }

  /** Replaces every line of this header with one line, where the first one was (else at the end). */
  set(name: string, value: string): this {
    assertName(name);
    assertValue(name, value);
    const key = headerKey(name);
    const first = this.keys.indexOf(key);
    if (first < 0) return this.push(this.keys.length, name, key, value);
    this.names[first] = canonicalName(key, name);
    this.values[first] = value;
    for (let i = this.keys.length - 1; i > first; i--) if (this.keys[i] === key) this.removeAt(i);
    return this;
  }

  /** Adds a line after every other line. */
  append(name: string, value: string): this {
    assertName(name);
    assertValue(name, value);
    return this.push(this.keys.length, name, headerKey(name), value);
  }

  /**
   * Adds a line before the first line of the same name (else before every line): what a proxy does with
   * its Via (RFC 3261 section 16.6 step 8) or a Record-Route (step 4), where only the order among lines of
   * the same name matters.
   */
  prepend(name: string, value: string): this {
    assertName(name);
    assertValue(name, value);
    const key = headerKey(name);
    const first = this.keys.indexOf(key);
    return this.push(first < 0 ? 0 : first, name, key, value);
  }

  /** Removes every line of this header; true when there was one. */
  delete(name: string): boolean {
    const key = headerKey(name);
    let removed = false;
    for (let i = this.keys.length - 1; i >= 0; i--) {
      if (this.keys[i] === key) {
        this.removeAt(i);
        removed = true;
      }
    }
    return removed;
  }

  /**
   * Removes and returns the first value as `get` sees it. When one line carries several list elements,
   * the rest stay on that line. This is how a proxy pops its own Via off a response (RFC 3261 section
   * 16.7 step 3) or a loose router pops the topmost Route (section 16.4).
   */
  shift(name: string): string | undefined {
    const key = headerKey(name);
    const list = LIST_HEADERS.has(key);
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] !== key) continue;
      if (!list) {
        const value = this.values[i]!;
        this.removeAt(i);
        return value;
      }
      const elements = splitList(this.values[i]!, false);
      if (elements.length === 0) continue;
      const first = elements.shift()!;
      if (elements.length === 0) this.removeAt(i);
      else this.values[i] = elements.join(", ");
      return first;
    }
    return undefined;
  }

  clone(): SipHeaders {
    return SipHeaders[kAdopt](this.names.slice(), this.keys.slice(), this.values.slice());
  }

  /** `[name, value]` per line in wire order, names as serialized (canonical full names where known). */
  *[Symbol.iterator](): IterableIterator<[name: string, value: string]> {
    for (let i = 0; i < this.keys.length; i++) yield [this.names[i]!, this.values[i]!];
  }

  entries(): IterableIterator<[name: string, value: string]> {
    return this[Symbol.iterator]();
  }

  private push(at: number, name: string, key: string, value: string): this {
    const written = canonicalName(key, name);
    if (at === this.keys.length) {
      this.names.push(written);
      this.keys.push(key);
      this.values.push(value);
    } else {
      this.names.splice(at, 0, written);
      this.keys.splice(at, 0, key);
      this.values.splice(at, 0, value);
    }
    return this;
  }

  private removeAt(i: number): void {
    this.names.splice(i, 1);
    this.keys.splice(i, 1);
    this.values.splice(i, 1);
  }
}
