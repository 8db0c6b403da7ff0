// Prisma allows one provider per schema and no env() in `provider`: derive the PostgreSQL schema
// from the SQLite one so the data model is written once.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = readFileSync(join(root, "schema.prisma"), "utf8");
const out = src
  .replace('provider = "sqlite"', 'provider = "postgresql"')
  .replace('"./generated/sqlite"', '"../generated/pg"')
  .replace('"file:./unused.db"', '"postgresql://unused"')
  .replace(/^\/\/ The conference store.*\n(\/\/.*\n)*/, "// GENERATED from ../schema.prisma by scripts/pg-schema.mjs: edit that file, not this one.\n");
if (out === src) throw new Error("pg-schema: nothing replaced");
mkdirSync(join(root, "pg"), { recursive: true });
writeFileSync(join(root, "pg", "schema.prisma"), out);
