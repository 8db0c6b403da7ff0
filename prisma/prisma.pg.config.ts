// Prisma CLI config for PostgreSQL (production). See src/upstream-workarounds.ts.
import { defineConfig } from "prisma/config";
import { PgAdapterForMigrate, pgPoolConfig, reportPgCatalogTypesAsText, unrefLongTimers } from "./src/upstream-workarounds.ts";

unrefLongTimers();
reportPgCatalogTypesAsText();

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "pg/schema.prisma",
  migrations: { path: "migrations/pg" },
  async adapter() {
    return new PgAdapterForMigrate(pgPoolConfig(process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/dcon"));
  },
});
