/**
 * Headline figures: each benchmark states its few main results (ours beside the peer's, measured in the same
 * run) in bench/.headlines/<bench>.json, and `npm run bench` gathers them into the summary at the top of
 * bench/RESULTS.md. The detailed tables stay in each benchmark's own section.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repo } from "./focus.ts";

export interface Headline {
  /** what is measured, e.g. "SIP calls/s with no failed call, focus direct" */
  figure: string;
  /** our figure, formatted with its unit, e.g. "50 calls/s" */
  ours: string;
  /** the peer's figure measured in the same run, when there is one */
  peer?: { name: string; value: string };
}

export interface HeadlineFile {
  bench: string;
  /** ISO time of the run */
  at: string;
  /** e.g. "SQLite" or "PostgreSQL", when the figures depend on the database */
  database?: string;
  headlines: Headline[];
}

export const headlinesDir = join(repo, "bench", ".headlines");

/** Records a benchmark's headline figures (replacing its previous ones for the same database). */
export function writeHeadlines(bench: string, headlines: Headline[], database?: string): void {
  mkdirSync(headlinesDir, { recursive: true });
  const file: HeadlineFile = { bench, at: new Date().toISOString(), ...(database ? { database } : {}), headlines };
  const name = database ? `${bench}.${database.toLowerCase()}.json` : `${bench}.json`;
  writeFileSync(join(headlinesDir, name), JSON.stringify(file, null, 2) + "\n");
}

/** Every recorded headline file, oldest benchmark first by name. */
export function readHeadlines(): HeadlineFile[] {
  let names: string[];
  try {
    names = readdirSync(headlinesDir).filter((n) => n.endsWith(".json")).sort();
  } catch {
    return [];
  }
  return names.map((n) => JSON.parse(readFileSync(join(headlinesDir, n), "utf8")) as HeadlineFile);
}
