// Peer: the focus over real HTTP/WebSocket (node:http and ws clients bound to chosen 127.0.0.x source addresses, a graphql-ws client)
/**
 * Rate limits with their real defaults (RATE_LIMIT_DEFAULTS; startTestFocus raises the per-address ones for
 * the other suites): sign-in per user name and per client address, wrong PINs on joinConference per token,
 * new WebSocket connections and HTTP requests per address, and X-Forwarded-For only behind TRUST_PROXY.
 * Each part comes from its own loopback address (Linux routes all of 127.0.0.0/8 to lo), so one part's
 * refusals cannot leak into another's.
 */
import http from "node:http";
import WebSocket from "ws";
import { createClient } from "graphql-ws";
import { RATE_LIMIT_DEFAULTS } from "../src/config.ts";
import { startTestFocus, type TestFocus } from "./support/focus.ts";

/** The real defaults, spelled out as the environment would (overriding the suites' generous ones). */
const REAL_LIMITS: Record<string, string> = {
  RATE_LIMIT_ENABLED: "true",
  TRUST_PROXY: "false",
  ...Object.fromEntries(Object.entries(RATE_LIMIT_DEFAULTS).map(([k, v]) => [k, String(v)])),
};

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

/** POST /graphql from a chosen local address, on a fresh connection (no keep-alive pool to hide the address). */
function post(url: string, query: string, variables: Record<string, unknown> = {}, opts: { from?: string; token?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const body = JSON.stringify({ query, variables });
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/graphql`, {
      method: "POST",
      agent: false,
      localAddress: opts.from ?? "127.0.0.1",
      headers: {
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(body)),
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...opts.headers,
      },
    }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => {
        try {
          resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(text) });
        } catch (err) {
          reject(new Error(`not JSON (${res.statusCode}): ${text.slice(0, 200)}`, { cause: err }));
        }
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

const SIGN_IN = `mutation($u: String!, $p: String!) { signIn(username: $u, password: $p) { secret } }`;
const JOIN = `mutation($c: ID!, $e: String, $pin: String) { joinConference(conferenceId: $c, entity: $e, pin: $pin) { id joinState } }`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The first error's code (and retryAfter), or "ok". */
function outcome(r: Reply): string {
  const e = r.body.errors?.[0];
  if (!e) return "ok";
  return e.extensions?.code === "RATE_LIMITED" ? `RATE_LIMITED` : String(e.extensions?.reason ?? e.extensions?.code);
}

let t: TestFocus;
beforeAll(async () => {
  t = await startTestFocus({ env: { ...REAL_LIMITS, SIP_ENABLED: "false" } });
});
afterAll(async () => {
  await t?.close();
});

async function createAccount(username: string, password: string): Promise<void> {
  await t.admin.must(`mutation($u: String!, $p: String!) { createAccount(username: $u, password: $p, role: INTEGRATOR) { id } }`, { u: username, p: password });
}

describe("signIn", () => {
  test("5 failures for a name: then RATE_LIMITED with retryAfter, even with the right password; other names unaffected", async () => {
    await createAccount("frank", "frank's real password");
    await createAccount("grace", "grace's real password");
    // from five addresses: the per-address limit is not what stops the sixth
    for (let i = 0; i < 5; i++) {
      const r = await post(t.url, SIGN_IN, { u: "frank", p: `wrong ${i}` }, { from: `127.0.1.${i + 1}` });
      expect(outcome(r)).toBe("UNAUTHENTICATED");
    }
    const limited = await post(t.url, SIGN_IN, { u: "frank", p: "frank's real password" }, { from: "127.0.1.9" });
    expect(limited.status).toBe(200);
    expect(limited.body.data).toBeNull();
    const e = limited.body.errors![0]!;
    expect(e.extensions).toMatchObject({ code: "RATE_LIMITED" });
    // 5 per 15 minutes: the next attempt in 3 minutes
    expect(e.extensions!.retryAfter).toBeGreaterThan(170);
    expect(e.extensions!.retryAfter).toBeLessThanOrEqual(180);
    expect(e.message).toBe("too many failed sign-ins for this user name: try again in 3 minutes");
    // the name however typed; an unknown name is counted like a known one (nothing to tell them apart)
    expect(outcome(await post(t.url, SIGN_IN, { u: " Frank", p: "frank's real password" }, { from: "127.0.1.9" }))).toBe("RATE_LIMITED");
    expect(outcome(await post(t.url, SIGN_IN, { u: "grace", p: "grace's real password" }, { from: "127.0.1.9" }))).toBe("ok");
    for (let i = 0; i < 5; i++) expect(outcome(await post(t.url, SIGN_IN, { u: "nobody", p: "x" }, { from: `127.0.1.${i + 1}` }))).toBe("UNAUTHENTICATED");
    expect(outcome(await post(t.url, SIGN_IN, { u: "nobody", p: "x" }, { from: "127.0.1.9" }))).toBe("RATE_LIMITED");
  });

  test("a success clears the name's failures", async () => {
    await createAccount("heidi", "heidi's real password");
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 4; i++) expect(outcome(await post(t.url, SIGN_IN, { u: "heidi", p: "wrong" }, { from: "127.0.2.1" }))).toBe("UNAUTHENTICATED");
      expect(outcome(await post(t.url, SIGN_IN, { u: "heidi", p: "heidi's real password" }, { from: "127.0.2.2" }))).toBe("ok");
    }
  });

  test("20 attempts a minute per client address; X-Forwarded-For is not believed without TRUST_PROXY", async () => {
    for (let i = 0; i < 20; i++) expect(outcome(await post(t.url, SIGN_IN, { u: `name-${i}`, p: "x" }, { from: "127.0.3.1" }))).toBe("UNAUTHENTICATED");
    const limited = await post(t.url, SIGN_IN, { u: "fresh-name", p: "x" }, { from: "127.0.3.1", headers: { "x-forwarded-for": "198.51.100.7" } });
    expect(limited.body.errors![0]!.extensions).toMatchObject({ code: "RATE_LIMITED" });
    expect(limited.body.errors![0]!.extensions!.retryAfter).toBeLessThanOrEqual(3); // a minute / 20
    expect(limited.body.errors![0]!.message).toMatch(/^too many sign-in attempts from your address: try again in [1-3] seconds?$/);
    expect(outcome(await post(t.url, SIGN_IN, { u: "fresh-name", p: "x" }, { from: "127.0.3.2" }))).toBe("UNAUTHENTICATED");
  });
});

describe("joinConference with a PIN", () => {
  test("10 wrong PINs per token: then RATE_LIMITED, the right PIN included, over HTTP and WebSocket; another token still joins", async () => {
    const { createConference: c } = await t.admin.must(
      `mutation { createConference(input: { subject: "PIN limits", joinHandling: PIN, pin: "4321", users: [{ entity: "sip:pat@limits.test", role: PARTICIPANT }] }) { id users { id } } }`);
    const { issueConferenceToken: pat } = await t.admin.must(`mutation($u: ID!) { issueConferenceToken(userId: $u, name: "pat") { secret } }`, { u: c.users[0].id });
    for (let i = 0; i < 10; i++) {
      expect(outcome(await post(t.url, JOIN, { c: c.id, pin: `00${i}` }, { from: "127.0.4.1", token: pat.secret }))).toBe("WRONG_PIN");
    }
    // from another address too: the token is the guesser
    const limited = await post(t.url, JOIN, { c: c.id, pin: "4321" }, { from: "127.0.4.2", token: pat.secret });
    expect(limited.body.errors![0]!.extensions).toMatchObject({ code: "RATE_LIMITED" });
    expect(limited.body.errors![0]!.extensions!.retryAfter).toBeGreaterThan(50); // 10 per 10 minutes: one a minute
    expect(limited.body.errors![0]!.extensions!.retryAfter).toBeLessThanOrEqual(60);
    expect(limited.body.errors![0]!.message).toMatch(/^too many wrong PINs: try again in \d+ seconds$/);

    const ws = createClient({ url: `${t.url.replace(/^http/, "ws")}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${pat.secret}` }, retryAttempts: 0, lazy: true });
    try {
      const overWs = await new Promise<any>((resolve, reject) => {
        let result: unknown;
        ws.subscribe({ query: JOIN, variables: { c: c.id, pin: "4321" } }, { next: (r) => (result = r), error: reject, complete: () => resolve(result) });
      });
      expect(overWs.errors[0].extensions).toMatchObject({ code: "RATE_LIMITED" });
    } finally {
      await ws.dispose();
    }
    // a join without a PIN is not a guess: it is refused as before, not limited
    expect(outcome(await post(t.url, JOIN, { c: c.id }, { from: "127.0.4.1", token: pat.secret }))).toBe("PIN_REQUIRED");
    // the admin's token has its own count
    expect(outcome(await post(t.url, JOIN, { c: c.id, e: "sip:ann@limits.test", pin: "4321" }, { from: "127.0.4.1", token: t.admin.token! }))).toBe("ok");
  });
});

describe("HTTP requests", () => {
  test("over 50/s (bursts of 100) from one address: 429 with Retry-After and a GraphQL-shaped body; other addresses served; again after a second", async () => {
    const started = performance.now();
    const replies = await Promise.all(Array.from({ length: 250 }, () => post(t.url, `{ __typename }`, {}, { from: "127.0.5.1" })));
    const seconds = (performance.now() - started) / 1000;
    const refused = replies.filter((r) => r.status === 429);
    const served = replies.filter((r) => r.status === 200);
    expect(served.length).toBeGreaterThanOrEqual(100);
    expect(served.length).toBeLessThanOrEqual(100 + Math.ceil(50 * seconds)); // the burst, plus what 50/s refilled meanwhile
    expect(refused.length).toBeGreaterThan(0);
    expect(served.length + refused.length).toBe(250);
    expect(refused[0]!.headers["retry-after"]).toBe("1");
    expect(refused[0]!.body).toEqual({ errors: [{ message: "too many requests: try again in 1 s", extensions: { code: "RATE_LIMITED", retryAfter: 1 } }] });
    expect((await post(t.url, `{ __typename }`, {}, { from: "127.0.5.2" })).status).toBe(200);
    await sleep(1100);
    expect((await post(t.url, `{ __typename }`, {}, { from: "127.0.5.1" })).status).toBe(200);
  });
});

describe("WebSocket connections", () => {
  /** Opens a WebSocket upgrade from `from`: "open" (101) or the refusal's status and Retry-After. */
  function upgrade(from: string): Promise<{ socket: WebSocket; status: number; retryAfter: string | undefined }> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${t.url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws", { localAddress: from });
      socket.once("open", () => resolve({ socket, status: 101, retryAfter: undefined }));
      socket.once("unexpected-response", (_req, res) => {
        resolve({ socket, status: res.statusCode!, retryAfter: res.headers["retry-after"] });
        res.resume();
      });
      socket.on("error", (err) => reject(err)); // (after a refusal, terminate() reports the aborted handshake here: ignored)
    });
  }

  test("over the burst of 40 from one address: 429 before graphql-ws; other addresses open; a normal client works after the window", async () => {
    const started = performance.now();
    const first = await Promise.all(Array.from({ length: 100 }, () => upgrade("127.0.6.1")));
    const seconds = (performance.now() - started) / 1000;
    try {
      const opened = first.filter((r) => r.status === 101).length;
      const refused = first.filter((r) => r.status === 429);
      expect(opened).toBeGreaterThanOrEqual(40);
      expect(opened).toBeLessThanOrEqual(40 + Math.ceil(20 * seconds)); // the burst, plus what 20/s refilled meanwhile
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.length).toBe(100 - opened);
      expect(refused.every((r) => r.retryAfter === "1")).toBe(true);
      const other = await upgrade("127.0.6.2");
      expect(other.status).toBe(101);
      other.socket.close();
    } finally {
      for (const r of first) r.socket.terminate();
    }
    await sleep(1100);
    // a graphql-ws client from the same address: connection_init with the admin token, one query
    class FromThatAddress extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { localAddress: "127.0.6.1" });
      }
    }
    const client = createClient({ url: `${t.url.replace(/^http/, "ws")}/graphql`, webSocketImpl: FromThatAddress, connectionParams: { authorization: `Bearer ${t.admin.token}` }, retryAttempts: 0, lazy: true });
    try {
      const result = await new Promise<any>((resolve, reject) => {
        let r: unknown;
        client.subscribe({ query: `{ me { role } }` }, { next: (x) => (r = x), error: reject, complete: () => resolve(r) });
      });
      expect(result).toEqual({ data: { me: { role: "ADMIN" } } });
    } finally {
      await client.dispose();
    }
  });
});

describe("behind a reverse proxy (TRUST_PROXY=true)", () => {
  let proxied: TestFocus;
  beforeAll(async () => {
    proxied = await startTestFocus({ env: { ...REAL_LIMITS, TRUST_PROXY: "true", SIP_ENABLED: "false" } });
  });
  afterAll(async () => {
    await proxied?.close();
  });

  test("the address the proxy appended is the client's; what the client wrote before it is ignored", async () => {
    // every request comes from the "proxy" at 127.0.0.1
    for (let i = 0; i < 20; i++) {
      const r = await post(proxied.url, SIGN_IN, { u: `name-${i}`, p: "x" }, { headers: { "x-forwarded-for": "203.0.113.5" } });
      expect(outcome(r)).toBe("UNAUTHENTICATED");
    }
    expect(outcome(await post(proxied.url, SIGN_IN, { u: "another", p: "x" }, { headers: { "x-forwarded-for": "203.0.113.5" } }))).toBe("RATE_LIMITED");
    // a client cannot escape by writing its own entry in front: the proxy's (rightmost) entry counts
    expect(outcome(await post(proxied.url, SIGN_IN, { u: "another", p: "x" }, { headers: { "x-forwarded-for": "192.0.2.99, 203.0.113.5" } }))).toBe("RATE_LIMITED");
    // another client behind the same proxy is not limited
    expect(outcome(await post(proxied.url, SIGN_IN, { u: "another", p: "x" }, { headers: { "x-forwarded-for": "203.0.113.6" } }))).toBe("UNAUTHENTICATED");
  });
});

describe("the portal beside the focus (TRUST_PROXY=127.0.6.1, as npm start sets loopback)", () => {
  // Trusting one loopback address, not all of 127/8, so the test can also come from an untrusted address.
  let focus: TestFocus;
  beforeAll(async () => {
    focus = await startTestFocus({ env: { ...REAL_LIMITS, TRUST_PROXY: "127.0.6.1", SIP_ENABLED: "false" } });
  });
  afterAll(async () => {
    await focus?.close();
  });

  test("two browsers' forwarded addresses from the trusted portal are limited separately", async () => {
    const portal = (browser: string, u: string) => post(focus.url, SIGN_IN, { u, p: "x" }, { from: "127.0.6.1", headers: { "x-forwarded-for": browser } });
    for (let i = 0; i < 20; i++) expect(outcome(await portal("203.0.113.21", `alpha-${i}`))).toBe("UNAUTHENTICATED");
    expect(outcome(await portal("203.0.113.21", "alpha-more"))).toBe("RATE_LIMITED");
    // another browser through the same portal has its own 20
    for (let i = 0; i < 20; i++) expect(outcome(await portal("2001:db8::22", `beta-${i}`))).toBe("UNAUTHENTICATED");
    expect(outcome(await portal("2001:db8::22", "beta-more"))).toBe("RATE_LIMITED");
    // and the portal's own address (calls without a browser behind them) is a third key
    expect(outcome(await post(focus.url, SIGN_IN, { u: "gamma", p: "x" }, { from: "127.0.6.1" }))).toBe("UNAUTHENTICATED");
  });

  test("X-Forwarded-For from an address not trusted is ignored: the sender is limited by its own address", async () => {
    const direct = (browser: string, u: string) => post(focus.url, SIGN_IN, { u, p: "x" }, { from: "127.0.6.2", headers: { "x-forwarded-for": browser } });
    // a new forged address on every attempt does not escape the sender's limit
    for (let i = 0; i < 20; i++) expect(outcome(await direct(`198.51.100.${i + 1}`, `delta-${i}`))).toBe("UNAUTHENTICATED");
    expect(outcome(await direct("198.51.100.200", "delta-more"))).toBe("RATE_LIMITED");
    // nor did its forged addresses use up anyone's attempts behind the trusted portal
    expect(outcome(await post(focus.url, SIGN_IN, { u: "epsilon", p: "x" }, { from: "127.0.6.1", headers: { "x-forwarded-for": "198.51.100.1" } }))).toBe("UNAUTHENTICATED");
  });
});
