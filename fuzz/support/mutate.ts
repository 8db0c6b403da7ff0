/**
 * Mutation operators over wire bytes, shared by every fuzz test. A mutation is plain data (so fast-check
 * shrinks it and prints it in a counterexample); `applyMutation` turns it into new bytes. Byte-level
 * edits (bit flips, interesting values, insertions, deletions, truncation, splices from another seed,
 * chunk duplication) reach the length fields of binary codecs; token insertions and line edits reach
 * deeper into text grammars than random bytes do.
 */
import fc from "fast-check";

export type Mutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "set"; at: number; value: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "token"; at: number; text: string }
  | { kind: "delete"; at: number; count: number }
  | { kind: "truncate"; at: number }
  | { kind: "duplicate"; at: number; count: number }
  | { kind: "splice"; at: number; seed: number; from: number; count: number }
  | { kind: "duplicateLine"; line: number }
  | { kind: "deleteLine"; line: number }
  | { kind: "swapLines"; a: number; b: number }
  | { kind: "edit"; index: number };

export interface MutationOptions {
  /** pieces of the format's syntax to insert anywhere (written as UTF-8) */
  tokens?: readonly string[];
  /** byte values worth writing over another (length and type boundaries) */
  values?: readonly number[];
  /**
   * Line edits: "all" for line-based text (SDP), "head" to edit only the lines before the first empty
   * line and keep the body (SIP), off for binary formats.
   */
  lines?: "all" | "head";
  /** the format's own structural edits (set a header to a hostile value, ...), on the text as lines */
  edits?: readonly ((lines: string[]) => string[])[];
  /** other seeds to splice chunks from */
  spliceFrom?: readonly Uint8Array[];
  /** largest insertion, deletion or duplicated chunk; default 16 */
  maxChunk?: number;
}

const DEFAULT_VALUES = [0x00, 0x01, 0x02, 0x03, 0x04, 0x07, 0x08, 0x0f, 0x10, 0x1f, 0x20, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xc0, 0xc8, 0xc9, 0xca, 0xcb, 0xfe, 0xff];

/** One mutation, drawn among the operators the options enable. */
export function mutation(opts: MutationOptions = {}): fc.Arbitrary<Mutation> {
  const chunk = opts.maxChunk ?? 16;
  const ops: fc.Arbitrary<Mutation>[] = [
    fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.constantFrom(...(opts.values ?? DEFAULT_VALUES)) }),
    fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: Math.min(chunk, 8) }) }),
    fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: chunk }) }),
    fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat(), count: fc.integer({ min: 1, max: chunk }) }),
  ];
  if (opts.tokens && opts.tokens.length > 0) ops.push(fc.record({ kind: fc.constant("token" as const), at: fc.nat(), text: fc.constantFrom(...opts.tokens) }));
  if (opts.spliceFrom && opts.spliceFrom.length > 0) {
    ops.push(fc.record({ kind: fc.constant("splice" as const), at: fc.nat(), seed: fc.nat({ max: opts.spliceFrom.length - 1 }), from: fc.nat(), count: fc.integer({ min: 1, max: 4 * chunk }) }));
  }
  if (opts.lines) {
    ops.push(
      fc.record({ kind: fc.constant("duplicateLine" as const), line: fc.nat() }),
      fc.record({ kind: fc.constant("deleteLine" as const), line: fc.nat() }),
      fc.record({ kind: fc.constant("swapLines" as const), a: fc.nat(), b: fc.nat() }),
    );
  }
  if (opts.edits && opts.edits.length > 0) ops.push(fc.record({ kind: fc.constant("edit" as const), index: fc.nat({ max: opts.edits.length - 1 }) }));
  return fc.oneof(...ops);
}

/** `buf` with one mutation applied (a new buffer; `buf` is left alone). */
export function applyMutation(buf: Uint8Array, m: Mutation, opts: MutationOptions = {}): Buffer {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  const at = (x: number) => (b.length === 0 ? 0 : x % (b.length + 1));
  switch (m.kind) {
    case "flip":
    case "set": {
      const out = Buffer.from(b);
      if (out.length === 0) return out;
      const i = m.at % out.length;
      out[i] = m.kind === "flip" ? out[i]! ^ (1 << m.bit) : m.value;
      return out;
    }
    case "insert":
      return Buffer.concat([b.subarray(0, at(m.at)), m.bytes, b.subarray(at(m.at))]);
    case "token":
      return Buffer.concat([b.subarray(0, at(m.at)), Buffer.from(m.text, "utf8"), b.subarray(at(m.at))]);
    case "delete":
      return Buffer.concat([b.subarray(0, at(m.at)), b.subarray(at(m.at) + m.count)]);
    case "truncate":
      return Buffer.from(b.subarray(0, at(m.at)));
    case "duplicate": {
      const i = at(m.at);
      return Buffer.concat([b.subarray(0, i + m.count), b.subarray(i)]);
    }
    case "splice": {
      const other = opts.spliceFrom?.[m.seed];
      if (!other || other.length === 0) return Buffer.from(b);
      const from = m.from % other.length;
      return Buffer.concat([b.subarray(0, at(m.at)), other.subarray(from, from + m.count), b.subarray(at(m.at))]);
    }
    default:
      return editLines(b, m, opts);
  }
}

function editLines(b: Buffer, m: Mutation, opts: MutationOptions): Buffer {
  // Latin-1 keeps every byte as one character, so the bytes not edited come back unchanged.
  const text = b.toString("latin1");
  const end = opts.lines === "head" ? text.indexOf("\r\n\r\n") : -1;
  const lines = (end < 0 ? text : text.slice(0, end)).split("\r\n");
  const rest = end < 0 ? "" : text.slice(end);
  let out = lines;
  switch (m.kind) {
    case "duplicateLine":
      out.splice(m.line % lines.length, 0, lines[m.line % lines.length]!);
      break;
    case "deleteLine":
      out.splice(m.line % lines.length, 1);
      break;
    case "swapLines": {
      const a = m.a % lines.length;
      const c = m.b % lines.length;
      [out[a], out[c]] = [out[c]!, out[a]!];
      break;
    }
    case "edit":
      out = opts.edits?.[m.index]?.(lines) ?? lines;
      break;
    default:
      break;
  }
  return Buffer.from(out.join("\r\n") + rest, "latin1");
}

/** Mutants of the seeds: one seed, then 1..maxMutations mutations in a row. */
export function mutated(seeds: readonly Uint8Array[], opts: MutationOptions & { maxMutations?: number } = {}): fc.Arbitrary<Buffer> {
  if (seeds.length === 0) throw new Error("mutated() needs at least one seed");
  const withSplice = { ...opts, spliceFrom: opts.spliceFrom ?? seeds };
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(mutation(withSplice), { minLength: 1, maxLength: opts.maxMutations ?? 4 }))
    .map(([seed, ms]) => ms.reduce<Buffer>((acc, m) => applyMutation(acc, m, withSplice), Buffer.from(seed)));
}

/** The same over text (SDP, XML): the seeds are UTF-8, the mutants are decoded as UTF-8 again. */
export function mutatedText(seeds: readonly string[], opts: MutationOptions & { maxMutations?: number } = {}): fc.Arbitrary<string> {
  return mutated(seeds.map((s) => Buffer.from(s, "utf8")), opts).map((b) => b.toString("utf8"));
}

/** Cut points for a stream: a sorted set of offsets in [0, total]. */
export function cuts(total: number, max = 12): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 0, max: total }), { maxLength: max }).map((xs) => [...new Set(xs)].sort((a, b) => a - b));
}

/** `buf` cut at `at` (sorted offsets) into the chunks a stream reader would get. */
export function split(buf: Buffer, at: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const cut of [...at, buf.length]) {
    out.push(buf.subarray(prev, cut));
    prev = cut;
  }
  return out;
}
