/** pino, with every place a secret could sit redacted: PINs, passwords and tokens never reach a log. */
import { pino, type Logger } from "pino";

/**
 * Keys that hold a secret, redacted wherever they sit (top level and two levels down): no code logs
 * these today, so this is the net under a future `log.debug({ req })` or `log.warn({ err, input })`.
 */
const SECRET_KEYS = [
  // PINs and passwords, and the digits a caller keys them with (RFC 4733)
  "pin", "password", "passwordHash", "digits", "dtmf",
  // token secrets and what carries them: headers, graphql-ws connection parameters
  "secret", "secretHash", "token", "authorization", "cookie", "connectionParams",
  // GraphQL operations: variables carry PINs and passwords, the query text may inline them
  "variables", "query",
  // the configuration's secrets, should a config object be logged
  "ADMIN_TOKEN", "XMPP_COMPONENT_SECRET", "FEDERATION_PEERS",
  // a cascade leg's proof (an HMAC under the islands' shared secret, replayable for minutes)
  '["x-dcon-island"]', '["X-Dcon-Island"]',
];

export const REDACT_PATHS = [
  ...SECRET_KEYS.flatMap((k) => {
    const key = k.startsWith("[") ? k : `.${k}`;
    return [k, `*${key}`, `*.*${key}`];
  }),
  "req.headers.authorization", "req.headers.cookie",
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: "[redacted]" }, base: { svc: "focus" } }, destination);
}

export type { Logger };
