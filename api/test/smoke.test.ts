// Peer: none (the focus itself over real HTTP and WebSocket).
import { collect, startTestFocus, wsClient, type TestFocus } from "./support/focus.ts";

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
  const ws = wsClient(t.url, (t.admin as any).token);
  const sub = collect(ws, `subscription($id: ID!) { conferenceEvents(conferenceId: $id) { kind state { version } event { seq type } } }`, { id: c.id }, (d) => d.conferenceEvents);
  await sub.until((i) => i.length === 1);
  expect(sub.items[0]).toMatchObject({ kind: "FULL_STATE", state: { version: c.version } });
  await t.admin.must(`mutation($id: ID!) { lockConference(id: $id) { locked } }`, { id: c.id });
  await sub.until((i) => i.length === 2);
  expect(sub.items[1]).toMatchObject({ kind: "EVENT", event: { seq: c.version + 1, type: "CONFERENCE_LOCKED" } });
  sub.stop();
  await ws.dispose();
});
