/**
 * Typed domain errors with stable codes. The codes are public (GraphQL `extensions.code`, SIP status
 * mapping); `reason` narrows a code for transports that need more (a SIP 486 for FULL, 480 for LOCKED).
 */
export const ErrorCode = {
  NOT_FOUND: "NOT_FOUND",
  BAD_USER_INPUT: "BAD_USER_INPUT",
  CONFLICT: "CONFLICT",
  FORBIDDEN: "FORBIDDEN",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ErrorReason = {
  CONFERENCE_LOCKED: "CONFERENCE_LOCKED",
  CONFERENCE_FULL: "CONFERENCE_FULL",
  CONFERENCE_NOT_ACTIVE: "CONFERENCE_NOT_ACTIVE",
  WRONG_PIN: "WRONG_PIN",
  PIN_REQUIRED: "PIN_REQUIRED",
  DUPLICATE: "DUPLICATE",
  INVALID_STATE: "INVALID_STATE",
  FLOOR_FULL: "FLOOR_FULL",
  /** a distributed conference: the island that owns the object is not reachable */
  OWNER_UNREACHABLE: "OWNER_UNREACHABLE",
} as const;
export type ErrorReason = (typeof ErrorReason)[keyof typeof ErrorReason];

export class DomainError extends Error {
  override readonly name = "DomainError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly reason?: ErrorReason,
    readonly field?: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string, id: string) => new DomainError(ErrorCode.NOT_FOUND, `${what} ${id} does not exist`);
export const badInput = (field: string, message: string) => new DomainError(ErrorCode.BAD_USER_INPUT, `${field}: ${message}`, undefined, field);
export const conflict = (message: string, reason: ErrorReason) => new DomainError(ErrorCode.CONFLICT, message, reason);
