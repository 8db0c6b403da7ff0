/**
 * The conference store: one Prisma client type for both providers. SQLite (embedded, the default)
 * unless DATABASE_URL is a postgres:// URL. The PostgreSQL client is generated from the same models
 * (see scripts/pg-schema.mjs), so it is used through the SQLite client's type.
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { mkdirSync } from "node:fs";
import type { PrismaClient } from "../generated/sqlite/client.ts";

export type { PrismaClient } from "../generated/sqlite/client.ts";
export * as Db from "../generated/sqlite/client.ts";
export { Prisma } from "../generated/sqlite/client.ts";

export type Provider = "sqlite" | "postgresql";

const here = dirname(fileURLToPath(import.meta.url));
const workspace = join(here, "..");

export function providerOf(url: string): Provider {
  if (/^postgres(ql)?:\/\//.test(url)) return "postgresql";
  if (url.startsWith("file:")) return "sqlite";
  throw new Error(`DATABASE_URL must start with file: or postgresql:// (got "${url.replace(/\/\/[^@]*@/, "//***@")}")`);
}

/** file: URLs relative to the working directory are made absolute (the CLI runs elsewhere). */
export function normalizeUrl(url: string): string {
  if (providerOf(url) !== "sqlite") return url;
  const path = url.slice("file:".length);
  return `file:${resolve(path)}`;
}

export async function createPrismaClient(rawUrl: string): Promise<PrismaClient> {
  const url = normalizeUrl(rawUrl);
  if (providerOf(url) === "postgresql") {
    const [{ PrismaClient: PgClient }, { PrismaPg }] = await Promise.all([
      import("../generated/pg/client.ts"),
      import("@prisma/adapter-pg"),
    ]);
    return new PgClient({ adapter: new PrismaPg({ connectionString: url }) }) as unknown as PrismaClient;
  }
  const [{ PrismaClient: SqliteClient }, { PrismaBetterSQLite3 }] = await Promise.all([
    import("../generated/sqlite/client.ts"),
    import("@prisma/adapter-better-sqlite3"),
  ]);
  mkdirSync(dirname(url.slice("file:".length)), { recursive: true });
  const client = new SqliteClient({ adapter: new PrismaBetterSQLite3({ url }) });
  // WAL turns a 16 ms fsync per commit into ~0.05 ms; NORMAL is still durable across a process crash.
  await client.$queryRawUnsafe("PRAGMA journal_mode=WAL");
  await client.$queryRawUnsafe("PRAGMA synchronous=NORMAL");
  await client.$queryRawUnsafe("PRAGMA busy_timeout=5000");
  return client;
}

/**
 * Applies the committed migrations (`prisma migrate deploy`) for the URL's provider. Runs the Prisma CLI
 * in a child process: its WASM schema engine is the only offline migrator Prisma 6 ships.
 */
export async function migrateDatabase(rawUrl: string): Promise<string> {
  const url = normalizeUrl(rawUrl);
  if (providerOf(url) === "sqlite") mkdirSync(dirname(url.slice("file:".length)), { recursive: true });
  const cli = createRequire(import.meta.url).resolve("prisma/build/index.js");
  const config = providerOf(url) === "postgresql" ? "prisma.pg.config.ts" : "prisma.config.ts";
  return new Promise((ok, fail) => {
    execFile(process.execPath, [cli, "migrate", "deploy", "--config", config], {
      cwd: workspace,
      env: { ...process.env, DATABASE_URL: url, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" },
      timeout: 120_000,
    }, (err, stdout, stderr) => {
      if (err) fail(new Error(`database migration failed: ${stderr || stdout || err.message}`.trim()));
      else ok(stdout);
    });
  });
}
