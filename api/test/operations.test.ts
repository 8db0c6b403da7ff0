// Peer: none besides the focus over HTTP/WebSocket, and as a child process (start-up and shutdown).
import { spawn } from "node:child_process";
import { ADMIN_TOKEN, collect, FOCUS_ARGV, freshDatabaseUrl, repo, spawnFocus, startTestFocus, wsClient, type TestFocus } from "./support/focus.ts";

let t: TestFocus;
beforeAll(async () => {
  t = await startTestFocus();
});
afterAll(async () => {
  await t?.close();
});

test("health, a conference, and its event stream", async () => {
  const health = await (await fetch(`${t.url}/healthz`)).json();
  expect(health).toMatchObject({ status: "ok", island: "island-a.test" });
  const { createConference: c } = await t.admin.must(`mutation { createConference(input: { subject: "Smoke" }) { id status version } }`);
  expect(c.status).toBe("ACTIVE");
  const ws = wsClient(t.url, ADMIN_TOKEN);
  const sub = collect(ws, `subscription($id: ID!) { conferenceEvents(conferenceId: $id) { kind state { version } event { seq type } } }`, { id: c.id }, (d) => d.conferenceEvents);
  await sub.until((i) => i.length === 1);
  expect(sub.items[0]).toMatchObject({ kind: "FULL_STATE", state: { version: c.version } });
  await t.admin.must(`mutation($id: ID!) { lockConference(id: $id) { locked } }`, { id: c.id });
  await sub.until((i) => i.length === 2);
  expect(sub.items[1]).toMatchObject({ kind: "EVENT", event: { seq: c.version + 1, type: "CONFERENCE_LOCKED" } });
  sub.stop();
  await ws.dispose();
});

test("/metrics exposes Prometheus text with the focus' own series", async () => {
  await t.admin.must(`mutation { createConference(input: { subject: "Metrics" }) { id } }`);
  const res = await fetch(`${t.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
  const text = await res.text();
  expect(text).toMatch(/^focus_conference_events_total\{type="CONFERENCE_CREATED"\} [1-9]\d*$/m);
  expect(text).toMatch(/^focus_graphql_operations_total\{type="mutation",outcome="ok"\} [1-9]\d*$/m);
  expect(text).toContain("process_resident_memory_bytes");
});

test("a bad configuration stops the focus at start with a message naming the variable", async () => {
  const child = spawn(process.execPath, FOCUS_ARGV, {
    cwd: repo,
    env: { ...process.env, NODE_OPTIONS: "", PORT: "99999", DATABASE_URL: "mysql://nope" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const code = await new Promise((resolve) => child.once("exit", resolve));
  expect(code).toBe(2);
  expect(err).toMatch(/PORT/);
  expect(err).toMatch(/DATABASE_URL: must start with file: \(SQLite\) or postgresql:\/\//);
});

test("first start prints an admin token once; SIGTERM shuts down cleanly", async () => {
  const databaseUrl = await freshDatabaseUrl();
  const first = await spawnFocus({ DATABASE_URL: databaseUrl, ADMIN_TOKEN: "" });
  // The token is printed right after the "listening" log line that spawnFocus waits for.
  const printed = /\n\s+(dcon_[A-Za-z0-9_-]{43})\n/;
  for (let i = 0; i < 50 && !printed.test(first.output()); i++) await new Promise((r) => setTimeout(r, 100));
  const secret = printed.exec(first.output())?.[1];
  expect(secret).toBeDefined();
  const me = await fetch(`${first.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
    body: JSON.stringify({ query: "{ me { role } }" }),
  });
  expect(await me.json()).toEqual({ data: { me: { role: "ADMIN" } } });
  first.child.kill("SIGTERM");
  expect(await first.exited).toBe(0);
  expect(first.output()).toContain("focus stopped");

  const second = await spawnFocus({ DATABASE_URL: databaseUrl, ADMIN_TOKEN: "" });
  expect(second.output()).not.toMatch(/dcon_[A-Za-z0-9_-]{43}/);
  second.child.kill("SIGTERM");
  expect(await second.exited).toBe(0);
});
