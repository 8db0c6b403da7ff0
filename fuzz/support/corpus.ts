/**
 * The seed corpus: real messages under fuzz/corpus/<target>/, one per file, and the inputs that once
 * broke a parser under fuzz/corpus/<target>/regressions/, which every run replays by name.
 *
 * A file is taken as raw bytes, except `*.hex`: hexadecimal digits with any whitespace, and `#` comments
 * to the end of a line, so binary packets stay readable and diffable.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const CORPUS_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "corpus");

export interface CorpusEntry {
  /** the file name, for test titles */
  name: string;
  bytes: Buffer;
}

export class CorpusFormatError extends Error {
  override readonly name = "CorpusFormatError";
  readonly code = "BAD_HEX";
  constructor(file: string) {
    super(`${file}: a .hex corpus file holds an odd number of hex digits or another character`);
  }
}

export function decodeHexFile(text: string, file = "<hex>"): Buffer {
  const digits = text.replace(/#[^\n]*/g, "").replace(/\s+/g, "");
  if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(digits)) throw new CorpusFormatError(file);
  return Buffer.from(digits, "hex");
}

function readDir(dir: string): CorpusEntry[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => !f.startsWith(".") && f !== "README.md" && statSync(join(dir, f)).isFile())
    .sort()
    .map((f) => {
      const raw = readFileSync(join(dir, f));
      return { name: f, bytes: f.endsWith(".hex") ? decodeHexFile(raw.toString("utf8"), f) : raw };
    });
}

/** The seeds of `target` (files directly in its folder). */
export function loadCorpus(target: string): CorpusEntry[] {
  return readDir(join(CORPUS_ROOT, target));
}

/** The regression inputs of `target` (its regressions/ folder), each replayed as a named test. */
export function loadRegressions(target: string): CorpusEntry[] {
  return readDir(join(CORPUS_ROOT, target, "regressions"));
}
