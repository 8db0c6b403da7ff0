// Peer: sipp (Debian sip-tester) as a caller that gives up while the focus still asks for the PIN: CANCEL (RFC 3261 section 9).
import { join } from "node:path";
import { startTestFocus, type TestFocus } from "../../api/test/support/focus.ts";
import { parseNameAddr } from "../src/sip/address.ts";
import type { SipMessage, SipResponse } from "../src/sip/message.ts";
import type { Peer } from "../src/sip/transport.ts";
import { expectSippOk, fillScenario, scenarios, sipp } from "./support/sipp.ts";

let t: TestFocus;
beforeAll(async () => {
  t = await startTestFocus();
});
afterAll(async () => {
  await t?.close();
});

/** A conference whose callers must give its PIN: the INVITE stays pending (183 with early media) until they do. */
async function pinConference(): Promise<{ id: string; dialInCode: string }> {
  const { createConference } = await t.admin.must(
    `mutation($input: ConferenceInput!) { createConference(input: $input) { id dialInCode joinHandling hasPin } }`,
    { input: { subject: "PIN only", joinHandling: "PIN", pin: "4321" } },
  );
  expect(createConference).toMatchObject({ joinHandling: "PIN", hasPin: true });
  return createConference;
}

async function eventTypes(conferenceId: string): Promise<string[]> {
  const { events } = await t.admin.must(`query($id: ID!) { events(conferenceId: $id, limit: 1000) { type } }`, { id: conferenceId });
  return events.map((e: { type: string }) => e.type);
}

/** Records every response the focus sends while `run` runs. */
async function watchResponses<T>(run: () => Promise<T>): Promise<{ result: T; responses: SipResponse[] }> {
  const transport = t.focus.sip!.endpoint.transport;
  const send = transport.send;
  const responses: SipResponse[] = [];
  transport.send = (msg: SipMessage, to: Peer) => {
    if (msg.kind === "response") responses.push(msg);
    return send.call(transport, msg, to);
  };
  try {
    return { result: await run(), responses };
  } finally {
    transport.send = send;
  }
}

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !cond() && Date.now() < end;) await new Promise((r) => setTimeout(r, 25));
}

const cseqOf = (r: SipResponse) => (r.headers.get("CSeq") ?? "").trim();
const toTagOf = (r: SipResponse) => parseNameAddr(r.headers.get("To")!).params.get("tag") ?? null;

describe.each([["UDP", "u1"], ["TCP", "t1"]] as const)("over %s", (_name, transport) => {
  test("INVITE -> 183 (PIN prompt) -> CANCEL: 200 for the CANCEL, 487 for the INVITE, ACK; nobody joins", async () => {
    const c = await pinConference();
    // After the ACK sipp waits 1.2 s: over UDP an ACK that did not reach the INVITE transaction would see the
    // 487 again by Timer G (after T1 = 500 ms).
    const scenario = fillScenario("cancel.xml", { PAUSE_MS: 1200 });
    const { result: run, responses } = await watchResponses(() => sipp(t.focus.sip!.port, scenario, { service: c.dialInCode, transport }));
    expectSippOk(run);

    const mine = responses.filter((r) => /canceller-1@/.test(r.headers.get("From") ?? ""));
    const byCode = (status: number, cseq: string) => mine.filter((r) => r.status === status && cseqOf(r) === cseq);
    const progress = byCode(183, "1 INVITE");
    const cancelOk = byCode(200, "1 CANCEL");
    const terminated = byCode(487, "1 INVITE");
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress[0]!.headers.get("Content-Type")).toBe("application/sdp");
    expect(cancelOk).toHaveLength(1);
    expect(terminated).toHaveLength(1); // sent once: the ACK confirmed the transaction, no Timer G retransmission
    expect(mine.filter((r) => r.status >= 200 && cseqOf(r) === "1 INVITE").map((r) => r.status)).toEqual([487]);
    expect(byCode(481, "1 CANCEL")).toHaveLength(1);
    // One To tag for every response to the INVITE (RFC 3261 section 8.2.6.2), and the CANCEL's 200 with it (section 9.2).
    const tag = toTagOf(progress[0]!);
    expect(tag).toBeTruthy();
    expect(toTagOf(terminated[0]!)).toBe(tag);
    expect(toTagOf(cancelOk[0]!)).toBe(tag);

    // The caller never joined: no user was even added, and the call is gone.
    const types = await eventTypes(c.id);
    expect(types).not.toContain("USER_JOINED");
    expect(types).not.toContain("USER_ADDED");
    const { users } = await t.admin.must(`query($id: ID!) { users(conferenceId: $id) { id } }`, { id: c.id });
    expect(users).toEqual([]);
    await until(() => t.focus.sip!.service.callCount === 0);
    expect(t.focus.sip!.service.callCount).toBe(0);
  });

  test("a CANCEL that matches no INVITE gets 481", async () => {
    expectSippOk(await sipp(t.focus.sip!.port, join(scenarios, "cancel-unknown.xml"), { service: "focus", transport }));
  });
});
