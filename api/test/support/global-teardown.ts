import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";

export default async function globalTeardown(): Promise<void> {
  const dir = process.env.DCON_TEST_PG_DIR;
  if (!dir) return;
  execFileSync(join(import.meta.dirname, "..", "..", "..", "scripts", "pg-cluster.sh"), ["stop", dir]);
  rmSync(dir, { recursive: true, force: true });
}
