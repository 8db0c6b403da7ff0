/**
 * Errors leave the API with a stable `extensions.code` (the public contract) and, for domain errors, a
 * `reason`. Anything unexpected is logged and masked as INTERNAL_SERVER_ERROR: no stack, no SQL.
 */
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { unwrapResolverError } from "@apollo/server/errors";
import { DomainError } from "@dcon/core";
import { AuthError } from "../auth/policy.ts";
import { RateLimitedError } from "../http/rate-limit.ts";
import type { Logger } from "../logger.ts";
import { DATABASE_UNAVAILABLE, isDatabaseUnavailable, DATABASE_RETRY_AFTER_S } from "../db-errors.ts";

export const ApiErrorCode = {
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  BAD_USER_INPUT: "BAD_USER_INPUT",
  CONFLICT: "CONFLICT",
  /** over a rate limit (sign-in, PINs, requests): `extensions.retryAfter` says in how many seconds to try again */
  RATE_LIMITED: "RATE_LIMITED",
  /**
   * the focus cannot serve this now (reason DATABASE_UNAVAILABLE: its database is down, restarting or
   * locked); try again after `extensions.retryAfter` seconds. A mutation refused so was not applied, except
   * one whose commit was in flight as the database went away: its outcome is unknown (read before redoing it)
   */
  SERVICE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  INTERNAL_SERVER_ERROR: "INTERNAL_SERVER_ERROR",
} as const;

/** Prisma's known request errors that a race can raise (a unique key taken, a row gone). */
function prismaCode(err: unknown): string | null {
  if (!(err instanceof Error) || !err.name.startsWith("PrismaClient")) return null;
  const code = (err as Error & { code?: unknown }).code;
  return typeof code === "string" ? code : null;
}

/** Maps a thrown error to a formatted error; `null` means: not ours, let the caller decide. */
export function toPublicError(err: unknown): { message: string; extensions: Record<string, unknown> } | null {
  if (err instanceof DomainError) {
    return { message: err.message, extensions: { code: err.code, ...(err.reason ? { reason: err.reason } : {}), ...(err.field ? { field: err.field } : {}) } };
  }
  if (err instanceof AuthError) return { message: err.message, extensions: { code: err.code } };
  if (err instanceof RateLimitedError) return { message: err.message, extensions: { code: ApiErrorCode.RATE_LIMITED, retryAfter: err.retryAfter } };
  // Before the Prisma codes below: an outage is not a conflict or a missing row, whatever shape it came in.
  if (isDatabaseUnavailable(err)) {
    return {
      message: "the service is temporarily unavailable (its database cannot be reached): try again shortly",
      extensions: { code: ApiErrorCode.SERVICE_UNAVAILABLE, reason: DATABASE_UNAVAILABLE, retryAfter: DATABASE_RETRY_AFTER_S },
    };
  }
  switch (prismaCode(err)) {
    case "P2002":
      return { message: "this conflicts with an existing record (a unique value is taken)", extensions: { code: ApiErrorCode.CONFLICT, reason: "DUPLICATE" } };
    case "P2025":
      return { message: "the record does not exist (any more)", extensions: { code: ApiErrorCode.NOT_FOUND } };
  }
  return null;
}

export function makeFormatError(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const mapped = toPublicError(original);
    if (mapped) return { ...formatted, message: mapped.message, extensions: mapped.extensions };
    const code = formatted.extensions?.code;
    // graphql-js and Apollo's own errors (parse, validation, bad variables) are safe to show as they are.
    if (code && code !== ApiErrorCode.INTERNAL_SERVER_ERROR) return formatted;
    if (original instanceof GraphQLError && !original.originalError) return { ...formatted, extensions: { ...formatted.extensions, code: "GRAPHQL_VALIDATION_FAILED" } };
    log.error({ err: original, path: formatted.path }, "unexpected error in a GraphQL operation");
    return { message: "internal error", ...(formatted.path ? { path: formatted.path } : {}), extensions: { code: ApiErrorCode.INTERNAL_SERVER_ERROR } };
  };
}
