/**
 * Test helpers: a fresh database per test file, a real focus (in-process, or as a child process for
 * restart and crash tests), and GraphQL clients over HTTP (fetch) and WebSocket (graphql-ws).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import WebSocket from "ws";
import { createClient, type Client } from "graphql-ws";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/logger.ts";
import { startFocus, type Focus } from "../../src/server.ts";

export const repo = join(import.meta.dirname, "..", "..", "..");
export const ADMIN_TOKEN = "dcon_test-admin-secret-0123456789abcdefghijklmnop";
export const usingPostgres = process.env.TEST_DB === "postgres";

/** A database nobody else uses: a new SQLite file, or a new PostgreSQL database on the suite's cluster. */
export async function freshDatabaseUrl(): Promise<string> {
  if (!usingPostgres) return `file:${join(mkdtempSync(join(tmpdir(), "dcon-test-")), "focus.db")}`;
  const admin = process.env.PG_ADMIN_URL;
  if (!admin) throw new Error("TEST_DB=postgres but no PG_ADMIN_URL: run through jest (global-setup starts the cluster)");
  const name = `t_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return u.toString();
}

export interface GraphQLResponse<T = any> {
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; reason?: string; field?: string } }[];
}

export class HttpClient {
  constructor(readonly url: string, readonly token: string | null) {}

  async request<T = any>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>> {
    const res = await fetch(`${this.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as GraphQLResponse<T>;
  }

  /** The data of a request that must succeed; throws with the errors otherwise. */
  async must<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> {
    const r = await this.request<T>(query, variables);
    if (r.errors?.length || !r.data) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors)}`);
    return r.data;
  }

  /** The error code of a request that must fail. */
  async errorCode(query: string, variables?: Record<string, unknown>): Promise<string | undefined> {
    const r = await this.request(query, variables);
    if (!r.errors?.length) throw new Error(`expected an error, got ${JSON.stringify(r.data)}`);
    return r.errors[0]!.extensions?.code;
  }

  as(token: string | null): HttpClient {
    return new HttpClient(this.url, token);
  }
}

export function wsClient(url: string, token: string | null, opts: { retryAttempts?: number } = {}): Client {
  return createClient({
    url: `${url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: opts.retryAttempts ?? 0,
    lazy: true,
  });
}

/** A subscription whose results are collected; `until` waits for a condition on what has arrived. */
export interface Collector<T> {
  readonly items: T[];
  readonly errors: unknown[];
  until(pred: (items: T[]) => boolean, timeoutMs?: number): Promise<T[]>;
  stop(): void;
}

export function collect<T = any>(client: Client, query: string, variables: Record<string, unknown>, pick: (data: any) => T): Collector<T> {
  const items: T[] = [];
  const errors: unknown[] = [];
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  const stop = client.subscribe<any>({ query, variables }, {
    next: (r) => {
      if (r.errors) errors.push(...r.errors);
      if (r.data) items.push(pick(r.data));
      notify();
    },
    error: (e) => {
      errors.push(e);
      notify();
    },
    complete: notify,
  });
  return {
    items,
    errors,
    stop,
    until(pred, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pred(items)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(items);
          } else if (errors.length) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`subscription error: ${JSON.stringify(errors)}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out with ${items.length} items: ${JSON.stringify(items.slice(-3))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

export interface TestFocus {
  focus: Focus;
  url: string;
  databaseUrl: string;
  admin: HttpClient;
  close(): Promise<void>;
}

/**
 * Every test client comes from 127.0.0.1, and suites open many connections, sign in and join a lot: the
 * per-address limits (and the per-token PIN limit) are raised so far that no suite meets them. The
 * per-name sign-in limit keeps its default (each suite's names are its own). api/test/rate-limits.test.ts
 * sets the real defaults back (RATE_LIMIT_DEFAULTS) to test them.
 */
export const TEST_RATE_LIMITS: Record<string, string> = {
  SIGNIN_ATTEMPTS_PER_MINUTE: "100000", PIN_FAILURES_PER_ADDRESS: "10000", WS_CONNECTIONS_PER_SECOND: "100000", HTTP_REQUESTS_PER_SECOND: "100000",
};

/** A focus in this process on a free port, with a known admin token (and TEST_RATE_LIMITS unless `env` says otherwise). */
export async function startTestFocus(opts: { databaseUrl?: string; env?: Record<string, string> } = {}): Promise<TestFocus> {
  const databaseUrl = opts.databaseUrl ?? (await freshDatabaseUrl());
  const config = loadConfig({
    PORT: "0", HOST: "127.0.0.1", DATABASE_URL: databaseUrl, ADMIN_TOKEN, ISLAND: "island-a.test",
    SCHEDULER_INTERVAL_MS: "200", SIP_PORT: "0", BFCP_PORT: "0", BFCP_TLS_PORT: "0", ...TEST_RATE_LIMITS, ...opts.env,
  });
  const focus = await startFocus(config, createLogger(process.env.TEST_LOG_LEVEL ?? "silent"));
  return { focus, url: focus.url, databaseUrl, admin: new HttpClient(focus.url, ADMIN_TOKEN), close: () => focus.close() };
}

export interface SpawnedFocus {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** resolves with the exit code (or signal) once the process is gone */
  exited: Promise<number | string | null>;
}

/** The command line of `npm start`: one Node process (tsx as a loader, not its launcher), so signals reach the focus. */
export const FOCUS_ARGV = ["--import", "tsx", join(repo, "api", "src", "main.ts")];

/** The focus as a real process, for restart and SIGKILL tests. */
export async function spawnFocus(env: Record<string, string>, timeoutMs = 30_000): Promise<SpawnedFocus> {
  const child = spawn(process.execPath, FOCUS_ARGV, {
    cwd: repo,
    env: { ...process.env, NODE_OPTIONS: "", PORT: "0", SIP_PORT: "0", BFCP_PORT: "0", BFCP_TLS_PORT: "0", HOST: "127.0.0.1", ADMIN_TOKEN, ISLAND: "island-a.test", LOG_LEVEL: "info", ...TEST_RATE_LIMITS, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | string | null>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`focus did not start in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = () => {
      const m = /"url":"(http:\/\/[^"]+)\/graphql"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`focus exited (${code}) before listening:\n${out}`));
    });
  });
  return { url, child, output: () => out, exited };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
