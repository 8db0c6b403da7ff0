/**
 * Integration suites run against a real database: SQLite by default, or (TEST_DB=postgres) a throwaway
 * PostgreSQL cluster started here once for the whole run and stopped by global-teardown.ts.
 * Workers inherit PG_ADMIN_URL and create one database per test file.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./net.ts";

const repo = join(import.meta.dirname, "..", "..", "..");

export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DB !== "postgres") return;
  if (process.env.PG_ADMIN_URL) return; // an external server was given
  const dir = mkdtempSync(join(tmpdir(), "dcon-pg-"));
  const port = await freePort();
  const url = execFileSync(join(repo, "scripts", "pg-cluster.sh"), ["start", dir, String(port)], { encoding: "utf8" }).trim();
  process.env.PG_ADMIN_URL = url;
  process.env.DCON_TEST_PG_DIR = dir;
  process.stdout.write(`\n[test] PostgreSQL cluster on ${url}\n`);
}
