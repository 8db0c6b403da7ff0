/**
 * Which errors mean "the database cannot be reached right now" (as opposed to a bug or a bad request).
 *
 * The focus keeps serving through a database outage: a PostgreSQL server stopped or restarting, its
 * connections terminated, the pool exhausted, or (SQLite, embedded) the file locked by another process for
 * longer than busy_timeout. Each operation that needs the database then fails with one typed error,
 * DatabaseUnavailableError, that every transport maps to its "try again later": GraphQL SERVICE_UNAVAILABLE
 * (reason DATABASE_UNAVAILABLE), HTTP 503, SIP 503 with Retry-After (RFC 3261 section 21.5.4). Nothing is
 * half-applied: a command is one transaction, and a transaction that cannot commit rolls back.
 *
 * The errors arrive in several shapes, depending on where the connection broke: Prisma's known request
 * errors (P1001 ...), a driver adapter error (PostgreSQL SQLSTATE or SQLite result code in its cause), or the
 * `pg` driver's own Error for a socket that died under a transaction. All are recognised here, in one place.
 */

/** Seconds a client should wait before trying again (the Retry-After given out during an outage). */
export const DATABASE_RETRY_AFTER_S = 5;

export const DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE";

export class DatabaseUnavailableError extends Error {
  override readonly name = "DatabaseUnavailableError";
  readonly code = DATABASE_UNAVAILABLE;
  readonly retryAfter = DATABASE_RETRY_AFTER_S;
  constructor(options?: { cause?: unknown }) {
    super("the database is unavailable: try again shortly", options);
  }
}

/**
 * Prisma codes for a connection that cannot be made or was lost: P1001 cannot reach, P1002 timed out
 * reaching, P1008 operation timed out, P1011 TLS failed, P1017 server closed the connection, P2024 pool
 * timeout, P2028 transaction API error (the transaction could not start in time, or its connection died).
 */
const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1011", "P1017", "P2024", "P2028"]);

/** Driver adapter error kinds (@prisma/driver-adapter-utils) that mean the same. SQLITE_BUSY maps to SocketTimeout. */
const ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections", "TlsConnectionError"]);

/**
 * PostgreSQL SQLSTATEs (Appendix A): class 08 connection exception, 53 insufficient resources
 * (too many connections, disk full, out of memory), 57P01-57P05 the server shutting down, restarting or
 * refusing connections; 55000 only with the "not currently accepting connections" message (see below).
 */
function pgUnavailable(sqlstate: string, message: string): boolean {
  if (sqlstate.startsWith("08") || sqlstate.startsWith("53") || /^57P0[1-5]$/.test(sqlstate)) return true;
  return sqlstate === "55000" && /not currently accepting connections/.test(message);
}

/**
 * SQLite result codes (primary and extended): another connection holds the lock (BUSY, LOCKED), the file
 * or its directory cannot be written or opened (READONLY, CANTOPEN), I/O failed or the disk is full.
 */
const SQLITE_CODES = /^SQLITE_(BUSY|LOCKED|READONLY|CANTOPEN|IOERR|FULL)/;

/** Node socket errors, and the `pg` driver's messages for a connection that died (it gives no code). */
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);
const PG_DRIVER_MESSAGES = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Client was closed and is not queryable)/;

function oneUnavailable(err: Record<string, unknown>): boolean {
  const name = typeof err.name === "string" ? err.name : "";
  const code = typeof err.code === "string" ? err.code : "";
  const message = typeof err.message === "string" ? err.message : "";
  if (name === "PrismaClientInitializationError") return true;
  if (name.startsWith("PrismaClient") && PRISMA_CODES.has(code)) return true;
  // a driver adapter error's cause: { kind, code?, originalCode?, message? }
  const kind = typeof err.kind === "string" ? err.kind : "";
  if (ADAPTER_KINDS.has(kind)) return true;
  const original = typeof err.originalCode === "string" ? err.originalCode : "";
  if (SQLITE_CODES.test(original) || SQLITE_CODES.test(code)) return true;
  if (kind === "postgres" && pgUnavailable(code, message)) return true;
  if (typeof err.severity === "string" && pgUnavailable(code, message)) return true; // a raw pg DatabaseError
  if (SOCKET_CODES.has(code) && typeof err.syscall === "string") return true;
  return PG_DRIVER_MESSAGES.test(message);
}

/** Whether `err` (or anything in its cause chain, Prisma's `meta.driverAdapterError` included) means the database is unavailable. */
export function isDatabaseUnavailable(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 6 && current && typeof current === "object"; depth++) {
    const e = current as Record<string, unknown>;
    if (e instanceof DatabaseUnavailableError || oneUnavailable(e)) return true;
    const meta = e.meta as Record<string, unknown> | undefined;
    current = (meta?.driverAdapterError as unknown) ?? e.cause;
  }
  return false;
}

/** The Retry-After (seconds) for an error that means the database is unavailable, else null (for transports). */
export function databaseRetryAfter(err: unknown): number | null {
  return isDatabaseUnavailable(err) ? DATABASE_RETRY_AFTER_S : null;
}
