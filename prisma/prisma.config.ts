// Prisma CLI config for the embedded SQLite store (the default). See src/upstream-workarounds.ts.
import { defineConfig } from "prisma/config";
import { SqliteAdapterForMigrate, unrefLongTimers } from "./src/upstream-workarounds.ts";

unrefLongTimers();

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "schema.prisma",
  migrations: { path: "migrations/sqlite" },
  async adapter() {
    return new SqliteAdapterForMigrate({ url: process.env.DATABASE_URL ?? "file:./dev.db" });
  },
});
