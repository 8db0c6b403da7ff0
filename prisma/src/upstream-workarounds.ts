/**
 * Workarounds for upstream bugs in Prisma 6.19.3's offline (WASM schema engine + driver adapter) mode.
 * Kept in one place so each can be dropped when upstream fixes it. Prisma 7.x is not an option:
 * its CLI downloads a native schema engine at run time and cannot migrate offline.
 */
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";

/**
 * 1. The WASM schema engine leaves 10-60 s timers pending, so the CLI lingers ~60 s after finishing.
 *    Unref long timers so the process exits when its work is done. CLI-only: never call in the focus.
 */
export function unrefLongTimers(): void {
  const original = globalThis.setTimeout;
  const patched = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = original(fn, ms, ...args);
    if ((ms ?? 0) >= 10_000) timer.unref();
    return timer;
  }) as typeof setTimeout;
  globalThis.setTimeout = patched;
}

interface ScriptCapable {
  executeRaw(q: { sql: string; args: unknown[] }): Promise<number>;
  executeScript(sql: string): Promise<void>;
}

/**
 * 2. SQLite: `migrate dev` replays migration.sql files through executeRaw, which better-sqlite3 refuses
 *    for multi-statement SQL. Route argument-less multi-statement SQL to executeScript.
 */
function multiStatementSafe<T extends ScriptCapable>(adapter: T): T {
  const executeRaw = adapter.executeRaw.bind(adapter);
  adapter.executeRaw = async (q) => {
    if (q.args.length === 0 && /;\s*\S/.test(q.sql.replace(/--.*$/gm, ""))) {
      await adapter.executeScript(q.sql);
      return 0;
    }
    return executeRaw(q);
  };
  return adapter;
}

export class SqliteAdapterForMigrate extends PrismaBetterSQLite3 {
  override async connect() {
    return multiStatementSafe(await super.connect());
  }
  override async connectToShadowDb() {
    return multiStatementSafe(await super.connectToShadowDb());
  }
}

/**
 * 3. PostgreSQL (prisma/prisma#27403): the schema engine reads catalog columns of types `name`, `"char"`,
 *    regproc, pg_node_tree and their arrays, which adapter-pg 6.x rejects. Report them as text / text[].
 *    CLI-only: it patches pg.Client globally.
 */
const CATALOG_OID_AS_TEXT: Record<number, number> = { 18: 25, 19: 25, 24: 25, 194: 25, 1002: 1009, 1003: 1009 };
export function reportPgCatalogTypesAsText(): void {
  type Fields = { fields?: { dataTypeID: number }[] };
  const fix = (res: unknown) => {
    for (const r of (Array.isArray(res) ? res : [res]) as Fields[]) {
      for (const f of r?.fields ?? []) {
        const as = CATALOG_OID_AS_TEXT[f.dataTypeID];
        if (as !== undefined) f.dataTypeID = as;
      }
    }
    return res;
  };
  const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
  const query = proto.query;
  proto.query = function patchedQuery(this: unknown, ...args: unknown[]) {
    const last = args[args.length - 1];
    if (typeof last === "function") {
      args[args.length - 1] = (err: unknown, res: unknown) => (last as (e: unknown, r: unknown) => void)(err, err ? res : fix(res));
    }
    const ret = query.apply(this, args);
    return ret instanceof Promise ? ret.then(fix) : ret;
  };
}

/**
 * 4. adapter-pg 6.19.3 drops the shadow database while its pool is still connected ("is being accessed
 *    by other users") and never closes the main pool: close first, then DROP ... WITH (FORCE).
 */
export class PgAdapterForMigrate extends PrismaPg {
  constructor(private readonly poolConfig: pg.PoolConfig) {
    super(poolConfig);
  }
  override async connectToShadowDb() {
    const main = await this.connect();
    const database = `prisma_migrate_shadow_db_${crypto.randomUUID()}`;
    await main.executeScript(`CREATE DATABASE "${database}"`);
    const shadow = await new PrismaPg({ ...this.poolConfig, database }).connect();
    const disposeShadow = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await disposeShadow();
      await main.executeScript(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await main.dispose();
    };
    return shadow;
  }
}

/** Discrete fields, not a connection string, so the shadow database can switch `database`. */
export function pgPoolConfig(url: string): pg.PoolConfig {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.slice(1),
    allowExitOnIdle: true,
  };
}
