/**
 * The shapes a database outage takes by the time it reaches the focus, as observed from Prisma 6.19 with
 * adapter-pg and adapter-better-sqlite3 (a stopped server, terminated connections, a locked file), and the
 * errors that must not be taken for one.
 */
import { DatabaseUnavailableError, databaseRetryAfter, isDatabaseUnavailable } from "./db-errors.ts";
import { toPublicError } from "./graphql/errors.ts";

/** An error as Prisma's client builds it: a name, a code, and the adapter's error in meta. */
function prismaError(name: string, code: string | undefined, cause?: Record<string, unknown>): Error {
  const e = new Error("Invalid `prisma.conference.findMany()` invocation:\n\nsomething") as Error & Record<string, unknown>;
  e.name = name;
  if (code) e.code = code;
  if (cause) e.meta = { driverAdapterError: Object.assign(new Error("adapter"), { name: "DriverAdapterError", cause }) };
  return e;
}

function adapterError(cause: Record<string, unknown>): Error {
  return Object.assign(new Error(String(cause.message ?? cause.kind)), { name: "DriverAdapterError", cause });
}

describe("isDatabaseUnavailable", () => {
  test.each([
    ["server not reachable (P1001)", prismaError("PrismaClientKnownRequestError", "P1001", { kind: "DatabaseNotReachable", host: "127.0.0.1", port: 5432 })],
    ["server closed the connection (P1017)", prismaError("PrismaClientKnownRequestError", "P1017")],
    ["pool timeout (P2024)", prismaError("PrismaClientKnownRequestError", "P2024")],
    ["transaction could not start (P2028)", prismaError("PrismaClientKnownRequestError", "P2028")],
    ["initialization", prismaError("PrismaClientInitializationError", undefined)],
    ["raw query on a terminated backend (P2010, 57P01)", prismaError("PrismaClientKnownRequestError", "P2010", { kind: "postgres", code: "57P01", message: "terminating connection due to administrator command" })],
    ["adapter: admin shutdown", adapterError({ kind: "postgres", code: "57P01", message: "terminating connection due to administrator command" })],
    ["adapter: starting up", adapterError({ kind: "postgres", code: "57P03", message: "the database system is starting up" })],
    ["adapter: connections disallowed", adapterError({ kind: "postgres", code: "55000", message: 'database "dcon" is not currently accepting connections' })],
    ["adapter: too many connections", adapterError({ kind: "TooManyConnections", cause: "sorry, too many clients already" })],
    ["adapter: SQLite busy", adapterError({ kind: "SocketTimeout", originalCode: "SQLITE_BUSY", originalMessage: "database is locked" })],
    ["adapter: SQLite read-only", adapterError({ kind: "sqlite", originalCode: "SQLITE_READONLY_DIRECTORY", originalMessage: "attempt to write a readonly database" })],
    ["pg driver: socket died", new Error("Connection terminated unexpectedly")],
    ["socket refused", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED", syscall: "connect", errno: -111 })],
    ["already typed", new DatabaseUnavailableError()],
  ])("%s", (_what, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
    expect(databaseRetryAfter(err)).toBeGreaterThan(0);
  });

  test.each([
    ["unique violation (P2002)", prismaError("PrismaClientKnownRequestError", "P2002", { kind: "UniqueConstraintViolation" })],
    ["record not found (P2025)", prismaError("PrismaClientKnownRequestError", "P2025")],
    ["another 55000", adapterError({ kind: "postgres", code: "55000", message: "object not in prerequisite state" })],
    ["syntax error", adapterError({ kind: "postgres", code: "42601", message: "syntax error" })],
    ["a plain bug", new TypeError("cannot read properties of undefined")],
    ["not an error", "ECONNREFUSED"],
    ["null", null],
  ])("not an outage: %s", (_what, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
    expect(databaseRetryAfter(err)).toBeNull();
  });

  test("a cause chain that loops ends", () => {
    const e = new Error("outer") as Error & { cause?: unknown };
    e.cause = e;
    expect(isDatabaseUnavailable(e)).toBe(false);
  });
});

describe("the public error", () => {
  test("an outage is SERVICE_UNAVAILABLE with reason DATABASE_UNAVAILABLE and a plain message", () => {
    const mapped = toPublicError(prismaError("PrismaClientKnownRequestError", "P1001", { kind: "DatabaseNotReachable" }));
    expect(mapped?.extensions).toEqual({ code: "SERVICE_UNAVAILABLE", reason: "DATABASE_UNAVAILABLE", retryAfter: expect.any(Number) });
    expect(mapped?.message).not.toMatch(/prisma|invocation|\n/i);
  });

  test("a conflict stays a conflict", () => {
    expect(toPublicError(prismaError("PrismaClientKnownRequestError", "P2002"))?.extensions.code).toBe("CONFLICT");
  });
});
