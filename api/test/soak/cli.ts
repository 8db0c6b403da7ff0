/**
 * The long soak: `npm run soak -- --minutes 60` (default 60). A progress line every 30 s, the report at
 * the end, exit status 1 when a check failed (2 on a bad argument). Runs on a fresh SQLite database, or on
 * PostgreSQL with `--database-url postgresql://…` (a database of its own: the run writes into it).
 */
import { parseArgs } from "node:util";
import { longOptions } from "./options.ts";
import { runSoak } from "./driver.ts";
import { judge, summary } from "./verdict.ts";

const { values } = parseArgs({ options: { minutes: { type: "string", default: "60" }, "database-url": { type: "string" } } });
const minutes = Number(values.minutes);
if (!(minutes > 0 && minutes <= 24 * 60)) {
  process.stderr.write(`soak: --minutes must be a number of minutes (0 < m <= 1440), not ${values.minutes}\n`);
  process.exit(2);
}
const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const options = { ...longOptions(minutes, log), databaseUrl: values["database-url"] ?? null };

try {
  const report = await runSoak(options);
  log(summary(report));
  // the heap series itself, thinned to at most 40 points, to see the shape the slope was fitted to
  const step = Math.max(1, Math.ceil(report.heap.length / 40));
  const series = report.heap.filter((_, i) => i % step === 0).map((s) => `${s.t.toFixed(0)}s:${(s.value / 1048576).toFixed(1)}`);
  log(`heap after GC (MiB, from the start of the load): ${series.join(" ")}`);
  const failures = judge(report);
  if (failures.length) {
    log(`soak FAILED (${failures.length}):\n${failures.map((f) => `  - ${f}`).join("\n")}`);
    process.exitCode = 1;
  } else log("soak passed");
} catch (err) {
  log(`soak aborted: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exitCode = 1;
}
