/** The focus' configuration: environment variables, validated at start with messages that name the variable. */
import { isIP } from "node:net";
import { z } from "zod";
import { PeerIslandsSchema } from "@dcon/federation";
import { TrustedProxies, TrustProxyError, type TrustProxy } from "./http/client-address.ts";

const bool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

/**
 * The rate limits' defaults (README, Configuration). Each is a bucket refilling at that rate, so the
 * counts are per window over any long stretch: see api/src/limits.ts for the windows. 0 turns one off.
 */
export const RATE_LIMIT_DEFAULTS = {
  /** failed sign-ins per user name per 15 minutes */
  SIGNIN_FAILURES_PER_NAME: 5,
  /** sign-in attempts per client address per minute */
  SIGNIN_ATTEMPTS_PER_MINUTE: 20,
  /** wrong PINs per 10 minutes: per source address over SIP, per token over GraphQL */
  PIN_FAILURES_PER_ADDRESS: 10,
  /** new WebSocket connections per client address per second (bursts of twice that) */
  WS_CONNECTIONS_PER_SECOND: 20,
  /** HTTP requests to /graphql per client address per second (bursts of twice that) */
  HTTP_REQUESTS_PER_SECOND: 50,
} as const;

const limit = (max: number, dflt: number) => z.coerce.number().int().min(0, "must be 0 (off) or more").max(max).default(dflt);

export const ConfigSchema = z.object({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  DATABASE_URL: z
    .string()
    .regex(/^(file:|postgres(ql)?:\/\/)/, "must start with file: (SQLite) or postgresql://")
    .default("file:./data/focus.db"),
  ISLAND: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9.-]{0,62}[a-z0-9])?$/, "must be a lower-case DNS-like name, e.g. island-a.example")
    .default("island.local"),
  ADMIN_TOKEN: z.string().min(24, "must be at least 24 characters").optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  SCHEDULER_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  MIGRATE_ON_START: bool.default(true),
  MAX_QUERY_DEPTH: z.coerce.number().int().min(2).max(50).default(10),
  MAX_QUERY_COST: z.coerce.number().int().min(10).max(1_000_000).default(5000),
  SIP_ENABLED: bool.default(true),
  /** SIP over UDP and TCP on this port (0: any free port) */
  SIP_PORT: z.coerce.number().int().min(0).max(65535).default(5060),
  /** address SIP and RTP listen on; default: HOST */
  SIP_HOST: z.string().refine((v) => isIP(v) !== 0, "must be an IP address to listen on").optional(),
  /** address written into SDP and Contact; default: SIP_HOST (set it behind NAT or when listening on 0.0.0.0) */
  SIP_ADVERTISED_HOST: z.string().refine((v) => isIP(v) !== 0, "must be an IP address (it is written into SDP c= lines)").optional(),
  RTP_PORT_MIN: z.coerce.number().int().min(1024).max(65534).default(20000),
  RTP_PORT_MAX: z.coerce.number().int().min(1025).max(65535).default(20999),
  /** BFCP floor control (RFC 8855) for SIP callers that offer it in SDP (RFC 8856) */
  BFCP_ENABLED: bool.default(true),
  /** BFCP over TCP and UDP on this port, on SIP_HOST (0: any free port) */
  BFCP_PORT: z.coerce.number().int().min(0).max(65535).default(5072),
  /** PEM files of a certificate and its key: BFCP over TLS (TCP/TLS/BFCP) on BFCP_TLS_PORT */
  BFCP_TLS_CERT: z.string().min(1).optional(),
  BFCP_TLS_KEY: z.string().min(1).optional(),
  BFCP_TLS_PORT: z.coerce.number().int().min(0).max(65535).default(5073),
  /** federation (XEP-0114): the island's XMPP server component port, e.g. xmpp://127.0.0.1:5347 */
  XMPP_SERVICE: z.string().regex(/^xmpp:\/\/[^/]+:[0-9]+$/, "must look like xmpp://host:port (the server's component port)").optional(),
  /** the focus' component JID on that server, e.g. focus.island-a.example */
  XMPP_COMPONENT_JID: z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,252}[a-z0-9])?$/, "must be a lower-case domain (a component JID)").optional(),
  XMPP_COMPONENT_SECRET: z.string().min(1).optional(),
  /** the peer islands, as JSON: [{"island","component","secret"[,"prefix"]}] */
  FEDERATION_PEERS: z.string().optional().transform((v, ctx) => {
    if (v === undefined) return [];
    let json: unknown;
    try {
      json = JSON.parse(v);
    } catch {
      ctx.addIssue({ code: "custom", message: "must be a JSON array of peer islands" });
      return z.NEVER;
    }
    const peers = PeerIslandsSchema.safeParse(json);
    if (!peers.success) {
      for (const i of peers.error.issues) ctx.addIssue({ code: "custom", path: i.path, message: i.message });
      return z.NEVER;
    }
    return peers.data;
  }),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
  /** false: no rate limit at all (benchmarks from one load generator); the limits below otherwise, 0 turning one off */
  RATE_LIMIT_ENABLED: bool.default(true),
  SIGNIN_FAILURES_PER_NAME: limit(1000, RATE_LIMIT_DEFAULTS.SIGNIN_FAILURES_PER_NAME),
  SIGNIN_ATTEMPTS_PER_MINUTE: limit(100_000, RATE_LIMIT_DEFAULTS.SIGNIN_ATTEMPTS_PER_MINUTE),
  PIN_FAILURES_PER_ADDRESS: limit(10_000, RATE_LIMIT_DEFAULTS.PIN_FAILURES_PER_ADDRESS),
  WS_CONNECTIONS_PER_SECOND: limit(100_000, RATE_LIMIT_DEFAULTS.WS_CONNECTIONS_PER_SECOND),
  HTTP_REQUESTS_PER_SECOND: limit(100_000, RATE_LIMIT_DEFAULTS.HTTP_REQUESTS_PER_SECOND),
  /**
   * Which reverse proxies' X-Forwarded-For to believe (see ./http/client-address.ts): false (0, the default:
   * the header is ignored, as any client can write it), true (1) or the number of proxies in front, or a
   * comma-separated list of the proxies' addresses, subnets and names (loopback, linklocal, uniquelocal).
   */
  TRUST_PROXY: z
    .string()
    .default("false")
    .transform((v, ctx): TrustProxy => {
      const s = v.trim();
      if (/^(true|false|[0-9]|10)$/.test(s)) return s === "true" ? 1 : s === "false" ? 0 : Number(s);
      try {
        return new TrustedProxies(s.split(",").map((e) => e.trim()).filter((e) => e.length > 0));
      } catch (err) {
        if (!(err instanceof TrustProxyError)) throw err;
        ctx.addIssue({ code: "custom", message: `must be true, false or the number of proxies in front (0 to 10), or their addresses: ${err.message}` });
        return z.NEVER;
      }
    }),
});

export type Config = z.infer<typeof ConfigSchema>;

const checked = ConfigSchema.superRefine((c, ctx) => {
  if ((c.BFCP_TLS_CERT === undefined) !== (c.BFCP_TLS_KEY === undefined)) {
    ctx.addIssue({ code: "custom", path: [c.BFCP_TLS_CERT === undefined ? "BFCP_TLS_CERT" : "BFCP_TLS_KEY"], message: "BFCP over TLS needs both BFCP_TLS_CERT and BFCP_TLS_KEY" });
  }
  const xmpp = [c.XMPP_SERVICE, c.XMPP_COMPONENT_JID, c.XMPP_COMPONENT_SECRET];
  if (xmpp.some((v) => v !== undefined) && xmpp.some((v) => v === undefined)) {
    for (const [name, v] of [["XMPP_SERVICE", c.XMPP_SERVICE], ["XMPP_COMPONENT_JID", c.XMPP_COMPONENT_JID], ["XMPP_COMPONENT_SECRET", c.XMPP_COMPONENT_SECRET]] as const) {
      if (v === undefined) ctx.addIssue({ code: "custom", path: [name], message: "federation needs XMPP_SERVICE, XMPP_COMPONENT_JID and XMPP_COMPONENT_SECRET" });
    }
  }
  if (c.FEDERATION_PEERS.length > 0 && !c.XMPP_SERVICE) ctx.addIssue({ code: "custom", path: ["FEDERATION_PEERS"], message: "peer islands need XMPP_SERVICE, XMPP_COMPONENT_JID and XMPP_COMPONENT_SECRET" });
  if (c.RTP_PORT_MIN >= c.RTP_PORT_MAX) ctx.addIssue({ code: "custom", path: ["RTP_PORT_MAX"], message: "must be above RTP_PORT_MIN" });
  // 0.0.0.0 in an SDP c= line means "on hold" (RFC 3264 section 8.4): a wildcard listener needs a real address to advertise.
  const sipHost = c.SIP_HOST ?? c.HOST;
  if (c.SIP_ENABLED && !c.SIP_ADVERTISED_HOST && (sipHost === "0.0.0.0" || sipHost === "::")) {
    ctx.addIssue({ code: "custom", path: ["SIP_ADVERTISED_HOST"], message: `required when SIP listens on ${sipHost}: the IP address phones reach the focus at` });
  }
});

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Parses the environment; throws one ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = checked.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== "")));
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
  throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
}
