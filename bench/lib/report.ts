/**
 * Benchmark reporting: percentiles, a description of the machine, and bench/RESULTS.md, which holds one
 * "## " section per benchmark (api, sip, mixer, federation, ...). A script rewrites only its own section
 * (and, inside it, only the "### " subsection of the database it ran on), keeping everything else.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";

/** Nearest-rank percentile (p in 0..1) of sorted values; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export interface Summary {
  n: number;
  median: number;
  p99: number;
  max: number;
}

export function summarize(values: number[]): Summary {
  const sorted = Float64Array.from(values).sort();
  return { n: sorted.length, median: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN };
}

/** milliseconds with a precision that suits the size */
export function ms(v: number): string {
  if (!Number.isFinite(v)) return "-";
  if (v < 10) return v.toFixed(2);
  if (v < 100) return v.toFixed(1);
  return v.toFixed(0);
}

export function machine(): Record<string, string> {
  let cpu = os.cpus()[0]?.model ?? "unknown";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) cpu = m[1]!.trim();
  } catch {
    // not Linux
  }
  let osName = `${os.type()} ${os.release()}`;
  try {
    const m = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync("/etc/os-release", "utf8"));
    if (m) osName = `${m[1]} (kernel ${os.release()})`;
  } catch {
    // no os-release
  }
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    if (dirty) commit += " (with uncommitted changes)";
  } catch {
    // not a git checkout
  }
  return {
    CPU: cpu,
    Cores: String(os.availableParallelism()),
    Memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    Node: process.version,
    OS: osName,
    Commit: commit,
  };
}

export function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

const FILE_HEADER = `# Benchmarks

Figures measured by the scripts in \`bench/\`. Each benchmark owns one \`## \` section below and rewrites only
that section when it runs (and, inside it, only the subsection of the database it ran on); the others stay.
Numbers from different machines are not comparable: each subsection names the machine it ran on.
\`npm run bench\` runs them all, one after another, and rewrites the summary just below from their headline figures.
`;

interface Section {
  heading: string;
  body: string;
}

/** Splits markdown into the text before the first heading of `level` and the sections at that level. */
function split(text: string, level: "## " | "### "): { preamble: string; sections: Section[] } {
  const lines = text.split("\n");
  const sections: Section[] = [];
  const pre: string[] = [];
  let current: { heading: string; lines: string[] } | null = null;
  let fenced = false;
  for (const l of lines) {
    if (l.startsWith("```")) fenced = !fenced;
    if (!fenced && l.startsWith(level)) {
      if (current) sections.push({ heading: current.heading, body: current.lines.join("\n") });
      current = { heading: l, lines: [] };
    } else if (current) current.lines.push(l);
    else pre.push(l);
  }
  if (current) sections.push({ heading: current.heading, body: current.lines.join("\n") });
  return { preamble: pre.join("\n"), sections };
}

const join = (preamble: string, sections: Section[]) =>
  [preamble.trimEnd(), ...sections.map((s) => `${s.heading}\n\n${s.body.trim()}`)].filter((s) => s.length > 0).join("\n\n") + "\n";

/**
 * Writes one benchmark's section of RESULTS.md: `sectionHeading` ("## ..."), its intro (replaced), and its
 * subsection `subHeading` ("### ...", replaced; other subsections whose heading does not start with
 * `subKey` are kept).
 */
export function writeResults(file: string, sectionHeading: string, intro: string, subHeading: string, subKey: string, subBody: string): void {
  const text = existsSync(file) ? readFileSync(file, "utf8") : FILE_HEADER;
  const top = split(text, "## ");
  const preamble = top.preamble.trim() ? top.preamble : FILE_HEADER;
  const index = top.sections.findIndex((s) => s.heading.trim() === sectionHeading.trim());
  const old = index >= 0 ? split(top.sections[index]!.body, "### ").sections : [];
  const subs = [...old];
  const at = subs.findIndex((s) => s.heading.startsWith(subKey));
  if (at >= 0) subs[at] = { heading: subHeading, body: subBody };
  else subs.push({ heading: subHeading, body: subBody });
  const body = [intro.trim(), ...subs.map((s) => `${s.heading}\n\n${s.body.trim()}`)].join("\n\n");
  const section = { heading: sectionHeading, body };
  if (index >= 0) top.sections[index] = section;
  else top.sections.push(section);
  writeFileSync(file, join(preamble, top.sections));
}

/** Line indices of the "## " headings outside code fences. */
function sectionStarts(lines: string[]): number[] {
  const starts: number[] = [];
  let fenced = false;
  for (const [i, l] of lines.entries()) {
    if (l.startsWith("```")) fenced = !fenced;
    if (!fenced && l.startsWith("## ")) starts.push(i);
  }
  return starts;
}

/**
 * Puts `body` under `heading` ("## ...") right after the file's intro, replacing that section wherever it was,
 * and keeps every other byte of the file as it was (unlike writeResults, which re-joins the whole file).
 * Used by `npm run bench` for its summary of every benchmark's headline figures.
 */
export function writeSummary(file: string, heading: string, body: string): void {
  let lines = (existsSync(file) ? readFileSync(file, "utf8") : FILE_HEADER).split("\n");
  const starts = sectionStarts(lines);
  const own = starts.findIndex((i) => lines[i]!.trim() === heading.trim());
  if (own >= 0) lines = [...lines.slice(0, starts[own]!), ...lines.slice(starts[own + 1] ?? lines.length)];
  const section = [heading.trim(), "", ...body.trim().split("\n"), ""];
  const first = sectionStarts(lines)[0];
  if (first !== undefined) lines.splice(first, 0, ...section);
  else {
    // no section yet: after the intro and one blank line
    while (lines.length && lines[lines.length - 1] === "") lines.pop();
    lines.push("", ...section);
  }
  writeFileSync(file, lines.join("\n"));
}
