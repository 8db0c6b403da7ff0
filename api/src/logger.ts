/** pino, with every place a secret could sit redacted: PINs, passwords and tokens never reach a log. */
import { pino, type Logger } from "pino";

export const REDACT_PATHS = [
  "pin", "*.pin", "*.*.pin", "secret", "*.secret", "token", "*.token", "authorization", "*.authorization",
  "req.headers.authorization", "headers.authorization", "variables", "*.variables", "connectionParams",
  "password", "*.password", "*.*.password", "passwordHash", "*.passwordHash", "*.*.passwordHash",
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: "[redacted]" }, base: { svc: "focus" } }, destination);
}

export type { Logger };
