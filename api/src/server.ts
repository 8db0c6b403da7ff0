/**
 * The focus process: database, conference domain, scheduler, GraphQL over HTTP (Apollo Server 5 on
 * express 5) and WebSocket (graphql-ws, same port and path), /healthz, /metrics and .ics downloads.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { expressMiddleware } from "@as-integrations/express5";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { WebSocketServer } from "ws";
import { useServer } from "graphql-ws/use/ws";
import { GraphQLError, parse, validate, type ExecutionResult } from "graphql";
import { ConferenceDomain } from "@dcon/core";
import { createPrismaClient, migrateDatabase, providerOf, type PrismaClient } from "@dcon/db";
import type { Config } from "./config.ts";
import type { Logger } from "./logger.ts";
import { TokenStore } from "./auth/tokens.ts";
import { AccountStore } from "./auth/accounts.ts";
import { requireConference } from "./auth/policy.ts";
import { buildSchema, limitRules, allRules } from "./graphql/schema.ts";
import { ApiErrorCode, makeFormatError, toPublicError } from "./graphql/errors.ts";
import type { ApiContext, FederationView } from "./graphql/context.ts";
import { conferenceIcs } from "./ics.ts";
import { FocusMetrics } from "./http/metrics.ts";
import { startSip, type SipFace } from "./sip.ts";
import { startFederation, type FederationFace } from "./federation.ts";
import { FocusLimits } from "./limits.ts";
import { clientAddress } from "./http/client-address.ts";
import { addressKey, RateLimiter } from "./http/rate-limit.ts";
import { DatabaseUnavailableError, isDatabaseUnavailable } from "./db-errors.ts";

export interface Focus {
  readonly url: string;
  readonly port: number;
  readonly domain: ConferenceDomain;
  readonly db: PrismaClient;
  /** the admin secret made at first start, to print once; null when one existed or ADMIN_TOKEN was set */
  readonly bootstrapSecret: string | null;
  /** SIP signalling, when enabled */
  readonly sip: SipFace | null;
  /** federation with peer islands, when configured */
  readonly federation: FederationFace | null;
  close(): Promise<void>;
}

export async function startFocus(config: Config, log: Logger): Promise<Focus> {
  const provider = providerOf(config.DATABASE_URL);
  if (config.MIGRATE_ON_START) {
    const t0 = Date.now();
    await migrateDatabase(config.DATABASE_URL);
    log.info({ provider, ms: Date.now() - t0 }, "database migrations applied");
  }
  const db = await createPrismaClient(config.DATABASE_URL);
  // During a database outage the periodic work (scheduler sweeps, health checks) fails every round: say so
  // once a minute, not once a round.
  const outageLog = new RateLimiter({ burst: 1, rate: 1, perMs: 60_000 });
  const logFailure = (what: string, err: unknown) => {
    if (!isDatabaseUnavailable(err)) return log.error({ err }, what);
    if (outageLog.take(what).ok) log.warn({ code: (err as { code?: unknown }).code ?? null, message: (err as Error).message?.split("\n").pop() }, `${what}: database unavailable (retrying; logged once a minute)`);
  };
  const domain = new ConferenceDomain({
    db,
    provider,
    island: config.ISLAND,
    schedulerIntervalMs: config.SCHEDULER_INTERVAL_MS,
    onListenerError: (err, event) => log.error({ err, type: event.type, conferenceId: event.conferenceId }, "an event listener failed"),
    onSchedulerError: (err) => logFailure("scheduler sweep failed", err),
  });
  const tokens = new TokenStore(db);
  const accounts = new AccountStore(db, tokens);
  const bootstrapSecret = await tokens.bootstrapAdmin(config.ADMIN_TOKEN);
  const metrics = new FocusMetrics(domain.bus);
  const schema = buildSchema();
  const formatError = makeFormatError(log);
  const limits = { maxDepth: config.MAX_QUERY_DEPTH, maxCost: config.MAX_QUERY_COST };
  // Every refusal is counted; it is logged at most once a minute per limit and address, so a flood
  // being refused does not flood the log. The log names the limit and the address, never a key.
  const refusalLog = new RateLimiter({ burst: 1, rate: 1, perMs: 60_000 });
  const rateLimits = new FocusLimits(config, {
    onLimited: (limit, address) => {
      metrics.rateLimited.inc({ limit });
      if (refusalLog.take(`${limit} ${address === null ? "" : addressKey(address)}`).ok) log.warn({ limit, address }, "rate limited (logged once a minute per limit and address)");
    },
  });
  const addressOf = (req: http.IncomingMessage) => clientAddress(req, rateLimits.trustedProxies);
  /**
   * The caller, for a request's context. When the database is down the token cannot be checked: the
   * context's principal then throws DatabaseUnavailableError when a resolver asks for it, so the operation
   * fails with SERVICE_UNAVAILABLE instead of the whole request (or a WebSocket with all its subscriptions).
   */
  const principalOf = async (header: unknown): Promise<Pick<ApiContext, "principal">> => {
    try {
      return { principal: await tokens.authenticate(typeof header === "string" ? header : null) };
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      return { get principal(): never { throw new DatabaseUnavailableError({ cause: err }); } } as Pick<ApiContext, "principal">;
    }
  };
  const withPrincipal = (who: Pick<ApiContext, "principal">, rest: Omit<ApiContext, "principal">): ApiContext =>
    Object.defineProperties(rest, Object.getOwnPropertyDescriptors(who)) as ApiContext;
  /** set once federation has started (resolvers read it per request) */
  let federationView: FederationView | null = null;
  let federation: FederationFace | null = null;

  const app = express();
  app.disable("x-powered-by");
  const httpServer = http.createServer(app);

  // ---- WebSocket: graphql-ws on the same port and path ----
  // noServer: the upgrade is ours to look at first. A client over its rate of new connections is refused
  // with 429 Too Many Requests (RFC 6585 section 4, with Retry-After: RFC 9110 section 10.2.3) instead of
  // the 101 (RFC 6455 section 4.2.2: a server that does not accept a connection answers with an HTTP error
  // status; section 4.1: the client then handles it by HTTP's rules), before graphql-ws, a token lookup or a
  // socket's buffers cost anything.
  const wsServer = new WebSocketServer({ noServer: true, path: "/graphql", maxPayload: 64 * 1024 });
  const onUpgrade = (req: http.IncomingMessage, socket: import("node:stream").Duplex, head: Buffer) => {
    if (wsServer.shouldHandle(req)) {
      const retryAfter = rateLimits.websocket(addressOf(req));
      if (retryAfter !== null) {
        socket.on("error", () => {}); // a client gone before the refusal is written (ws handles the others' errors)
        const body = `too many new connections: try again in ${retryAfter} s\n`;
        socket.end(
          `HTTP/1.1 429 Too Many Requests\r\nRetry-After: ${retryAfter}\r\nConnection: close\r\n` +
          `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
        socket.once("finish", () => socket.destroy());
        return;
      }
    }
    // other paths: ws answers 400, as it did when it listened on the server itself
    wsServer.handleUpgrade(req, socket, head, (ws) => wsServer.emit("connection", ws, req));
  };
  httpServer.on("upgrade", onUpgrade);
  const wsRules = allRules(limits);
  const wsContext = async (connectionParams: Record<string, unknown> | undefined, req: http.IncomingMessage): Promise<ApiContext> => {
    const auth = connectionParams?.authorization ?? connectionParams?.Authorization;
    return withPrincipal(await principalOf(auth), { domain, tokens, accounts, federation: federationView, limits: rateLimits, clientAddress: addressOf(req) });
  };
  const formatResult = (result: ExecutionResult): ExecutionResult => {
    if (!result.errors?.length) return result;
    return { ...result, errors: result.errors.map((e) => Object.assign(new GraphQLError(e.message), formatError(e.toJSON(), e))) };
  };
  const wsCleanup = useServer<Record<string, unknown>, { opened: boolean }>(
    {
      schema,
      context: (ctx) => wsContext(ctx.connectionParams, ctx.extra.request),
      onConnect: async (ctx) => {
        const c = await wsContext(ctx.connectionParams, ctx.extra.request);
        try {
          if (!c.principal) return false; // closes with 4403 Forbidden (graphql-ws close code)
        } catch (err) {
          if (!(err instanceof DatabaseUnavailableError)) throw err;
          // 1013 Try Again Later (IANA WebSocket close code registry): the token could not be checked
          ctx.extra.socket.close(1013, "database unavailable: try again shortly");
          return false;
        }
        ctx.extra.opened = true;
        metrics.wsConnections.inc();
        return true;
      },
      onClose: (ctx) => {
        if (ctx.extra.opened) metrics.wsConnections.dec();
      },
      onSubscribe: (_ctx, _id, payload) => {
        let document;
        try {
          document = parse(payload.query);
        } catch (err) {
          return [err as GraphQLError];
        }
        const errors = validate(schema, document, wsRules);
        if (errors.length) return errors;
        metrics.subscriptions.inc();
        return undefined;
      },
      onComplete: () => {
        metrics.subscriptions.dec();
      },
      onNext: (_ctx, _id, _payload, _args, result) => formatResult(result as ExecutionResult),
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => Object.assign(new GraphQLError(e.message), formatError(e.toJSON(), e))),
    },
    wsServer,
  );

  // ---- HTTP: Apollo Server ----
  const metricsPlugin: ApolloServerPlugin<ApiContext> = {
    async requestDidStart() {
      const end = metrics.operationSeconds.startTimer();
      return {
        async willSendResponse(rc) {
          const type = rc.operation?.operation ?? "invalid";
          const body = rc.response.body;
          const failed = body.kind === "single" && (body.singleResult.errors?.length ?? 0) > 0;
          metrics.operations.inc({ type, outcome: failed ? "error" : "ok" });
          end({ type });
        },
      };
    },
  };
  const apollo = new ApolloServer<ApiContext>({
    schema,
    formatError,
    validationRules: limitRules(limits),
    introspection: true,
    csrfPrevention: true,
    // main.ts owns SIGINT/SIGTERM. Apollo's own handler (on by default outside NODE_ENV=test) raced it:
    // focus.close() never finished (no "focus stopped", no $disconnect) and the process only exited when idle.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      { async serverWillStart() { return { async drainServer() { await wsCleanup.dispose(); } }; } },
      metricsPlugin,
    ],
  });
  await apollo.start();

  app.get("/healthz", async (_req, res) => {
    try {
      await db.$queryRawUnsafe("SELECT 1");
      res.json({ status: "ok", island: config.ISLAND, provider });
    } catch (err) {
      logFailure("health check", err);
      res.status(503).json({ status: "unavailable", reason: "database" });
    }
  });
  app.get("/metrics", async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get("/conferences/:id.ics", async (req, res) => {
    try {
      const principal = await tokens.authenticate(req.headers.authorization);
      requireConference(principal, req.params.id, "read");
      const conference = await domain.conferences.get(req.params.id);
      const users = await domain.roster.list(conference.id);
      res.type("text/calendar; charset=utf-8")
        .setHeader("Content-Disposition", `attachment; filename="conference-${conference.dialInCode}.ics"`)
        .send(conferenceIcs(conference, users, { island: config.ISLAND }));
    } catch (err) {
      const mapped = toPublicError(err);
      if (!mapped) {
        log.error({ err }, "ics export failed");
        res.status(500).json({ error: { code: "INTERNAL_SERVER_ERROR", message: "internal error" } });
        return;
      }
      const status = { UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, RATE_LIMITED: 429, SERVICE_UNAVAILABLE: 503 }[mapped.extensions.code as string] ?? 400;
      if (typeof mapped.extensions.retryAfter === "number") res.setHeader("Retry-After", String(mapped.extensions.retryAfter));
      res.status(status).json({ error: { code: mapped.extensions.code, message: mapped.message } });
    }
  });
  app.use(
    "/graphql",
    (req, res, next) => {
      // Before the body is read: a flood costs no parsing. 429 with Retry-After (RFC 6585 section 4), the
      // body shaped as a GraphQL response so clients read it like any other error.
      const retryAfter = rateLimits.http(addressOf(req));
      if (retryAfter === null) return next();
      res.status(429).setHeader("Retry-After", String(retryAfter)).setHeader("Connection", "close");
      res.json({ errors: [{ message: `too many requests: try again in ${retryAfter} s`, extensions: { code: ApiErrorCode.RATE_LIMITED, retryAfter } }] });
    },
    express.json({ limit: "256kb" }),
    expressMiddleware(apollo, {
      context: async ({ req }) => withPrincipal(await principalOf(req.headers.authorization), {
        domain, tokens, accounts, federation: federationView, limits: rateLimits, clientAddress: addressOf(req),
      }),
    }),
  );
  // Requests that fail before GraphQL (malformed JSON, a body too large). Express' default handler would
  // print the error, with the raw body (PINs, tokens) attached, to stderr and answer with a stack trace.
  app.use((err: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) return next(err);
    const e = err as { status?: unknown; type?: unknown };
    const status = typeof e.status === "number" && e.status >= 400 && e.status < 500 ? e.status : 500;
    // only the error itself: body-parser attaches the raw body to its errors
    if (status === 500) log.error({ err: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : { type: e.type } }, "request failed");
    const code = status === 500 ? "INTERNAL_SERVER_ERROR" : "BAD_REQUEST";
    const message = status === 500 ? "internal error" : status === 413 ? "request body too large" : "malformed request";
    res.status(status).json({ errors: [{ message, extensions: { code } }] });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(config.PORT, config.HOST, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  domain.scheduler.start();
  const sip = config.SIP_ENABLED ? await startSip(config, domain, log, rateLimits.sipPins) : null;
  if (sip) metrics.watchSip(sip);
  if (config.XMPP_SERVICE) {
    federation = await startFederation(config, domain, log);
    federationView = federation.view;
  }
  const url = `http://${config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST}:${port}`;
  log.info({ url: `${url}/graphql`, island: config.ISLAND, provider }, "focus listening");

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    domain,
    db,
    bootstrapSecret,
    sip,
    get federation() {
      return federation;
    },
    close() {
      closing ??= (async () => {
        await sip?.close();
        await federation?.close();
        await domain.close();
        httpServer.off("upgrade", onUpgrade);
        for (const client of wsServer.clients) client.close(1001, "Going away");
        await apollo.stop();
        await new Promise<void>((resolve) => wsServer.close(() => resolve()));
        await db.$disconnect();
        log.info("focus stopped");
      })();
      return closing;
    },
  };
}
