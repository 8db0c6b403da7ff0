// Peer: sipp (Debian sip-tester) subscribing to the conference event package (RFC 4575 over RFC 6665).
import { join } from "node:path";
import { startTestFocus, type TestFocus } from "../../api/test/support/focus.ts";
import { expectSippOk as expectOk, fillScenario, scenarios, sipp as runSipp, type SippOptions } from "./support/sipp.ts";

let t: TestFocus;
let sipPort: number;
beforeAll(async () => {
  t = await startTestFocus();
  sipPort = t.focus.sip!.port;
});
afterAll(async () => {
  await t?.close();
});

const sipp = (scenario: string, opts: SippOptions = {}) => runSipp(sipPort, scenario, opts);
const fill = (name: string, values: Record<string, string>) => fillScenario(name, values);

async function conference(input: Record<string, unknown> = {}): Promise<{ id: string; dialInCode: string }> {
  const { createConference } = await t.admin.must(`mutation($input: ConferenceInput!) { createConference(input: $input) { id dialInCode } }`, { input: { subject: "Event package", ...input } });
  return createConference;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test("SUBSCRIBE gets the full state, a partial NOTIFY when the conference is locked, and ends on Expires: 0", async () => {
  const c = await conference({ subject: "Weekly sync" });
  const service = t.focus.sip!.service;
  const before = service.subscriptionCount;
  const run = sipp(fill("subscribe.xml", { SUBJECT: "Weekly sync" }), { service: c.dialInCode });
  await until(() => service.subscriptionCount === before + 1, "the subscription");
  // the subscription counts once its stream has the full state: the lock below is a later event, so version 2
  await t.admin.must(`mutation($id: ID!) { lockConference(id: $id) { locked } }`, { id: c.id });
  expectOk(await run);
  expect(service.subscriptionCount).toBe(before);
});

test("refusals: 489 for another event package, 404 for an unknown number, 423 for a too brief Expires", async () => {
  const c = await conference();
  expectOk(await sipp(fill("subscribe-refused.xml", { EVENT: "presence", EXPIRES: "600", EXPECT: "489", HEADER: "Allow-Events", HEADER_VALUE: "conference" }), { service: c.dialInCode }));
  expectOk(await sipp(fill("subscribe-refused.xml", { EVENT: "conference", EXPIRES: "600", EXPECT: "404", HEADER: "CSeq", HEADER_VALUE: "SUBSCRIBE" }), { service: "999999999" }));
  expectOk(await sipp(fill("subscribe-refused.xml", { EVENT: "conference", EXPIRES: "10", EXPECT: "423", HEADER: "Min-Expires", HEADER_VALUE: "60" }), { service: c.dialInCode }));
  expect(t.focus.sip!.service.subscriptionCount).toBe(0);
});

test("a fetch (Expires: 0) gets the full state in a terminated NOTIFY and leaves no subscription", async () => {
  const c = await conference();
  expectOk(await sipp(join(scenarios, "subscribe-fetch.xml"), { service: c.dialInCode }));
  expect(t.focus.sip!.service.subscriptionCount).toBe(0);
});

test("a 481 to a NOTIFY removes the subscription", async () => {
  const c = await conference();
  expectOk(await sipp(join(scenarios, "subscribe-481.xml"), { service: c.dialInCode }));
  await until(() => t.focus.sip!.service.subscriptionCount === 0, "the subscription to go");
});
