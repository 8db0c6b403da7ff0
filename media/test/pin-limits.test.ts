// Peer: sipp (Debian sip-tester) as callers keying wrong PINs by DTMF (RFC 4733) from 127.0.0.1, then a raw UDP SIP peer on 127.0.0.1 and 127.0.0.2.
/**
 * Wrong PINs are limited per source address across calls (PIN_FAILURES_PER_ADDRESS, by default 10 per
 * 10 minutes, set here explicitly as the other suites run with a raised one): three calls of three wrong
 * PINs and a fourth's tenth, then the eleventh is not checked and the call is refused with 403; from then
 * on, a new INVITE from that address to a PIN conference gets 403 Forbidden (too many wrong PINs) with a
 * Warning saying so and when to try again, at once, without the prompt. Another address is still
 * prompted (183), and the limited address still reaches conferences without a PIN.
 */
import { startTestFocus, type TestFocus } from "../../api/test/support/focus.ts";
import { RATE_LIMIT_DEFAULTS } from "../../api/src/config.ts";
import type { SipResponse } from "../src/sip/message.ts";
import { RawUdpPeer, sipBytes } from "./support/raw-peer.ts";
import { pressKeys, rtpEar, sendSilence, until, type RtpEar } from "./support/rtp.ts";
import { expectSippOk, fillScenario, sipp } from "./support/sipp.ts";

let t: TestFocus;
let sipPort: number;
beforeAll(async () => {
  t = await startTestFocus({ env: { RATE_LIMIT_ENABLED: "true", PIN_FAILURES_PER_ADDRESS: String(RATE_LIMIT_DEFAULTS.PIN_FAILURES_PER_ADDRESS) } });
  sipPort = t.focus.sip!.port;
});
afterAll(async () => {
  await t?.close();
});

const ears: RtpEar[] = [];
const peers: RawUdpPeer[] = [];
afterAll(async () => {
  for (const e of ears) e.close();
  for (const p of peers) await p.close();
});

async function conference(input: Record<string, unknown>): Promise<{ id: string; dialInCode: string }> {
  const { createConference } = await t.admin.must(`mutation($input: ConferenceInput!) { createConference(input: $input) { id dialInCode } }`, { input: { subject: "PIN limits", ...input } });
  return createConference;
}

/** One sipp caller that keys `wrongs` during early media and expects 403 (the third wrong PIN, or the limit). */
async function guessingCall(dialInCode: string, wrongs: string[]): Promise<void> {
  const e = await rtpEar([425, 480, 620]);
  ears.push(e);
  const call = sipp(sipPort, fillScenario("pin-refused.xml", { LISTEN_PORT: e.port }), { service: dialInCode });
  await until(() => e.heard.focus !== null, "the prompt's RTP");
  sendSilence(e.socket, e.heard.focus!);
  for (const keys of wrongs) {
    await pressKeys(e.socket, e.heard.focus!, keys);
    await new Promise((r) => setTimeout(r, 300)); // the check, and the wrong-PIN tone, before the next entry
  }
  expectSippOk(await call);
}

let callNo = 0;
/** An INVITE (with an SDP offer of PCMU and telephone-event) from a raw peer; resolves with the final or 183 response. */
async function invite(peer: RawUdpPeer, host: string, dialInCode: string): Promise<{ first: SipResponse; callId: string; branch: string; uri: string; from: string }> {
  const callId = `pin-limits-${++callNo}-${Date.now()}`;
  const branch = `z9hG4bK${callId}`;
  const uri = `sip:${dialInCode}@127.0.0.1:${sipPort}`;
  const from = `<sip:guesser@${host}>;tag=t${callNo}`;
  const sdp = ["v=0", `o=- 1 1 IN IP4 ${host}`, "s=-", `c=IN IP4 ${host}`, "t=0 0", "m=audio 40000 RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", ""].join("\r\n");
  const before = peer.received.length;
  await peer.send(sipBytes([
    `INVITE ${uri} SIP/2.0`, `Via: SIP/2.0/UDP ${host}:${peer.port};branch=${branch};rport`, `From: ${from}`, `To: <${uri}>`,
    `Call-ID: ${callId}`, "CSeq: 1 INVITE", `Contact: <sip:guesser@${host}:${peer.port}>`, "Max-Forwards: 70", "Content-Type: application/sdp",
  ], sdp), sipPort);
  const answer = () => peer.received.slice(before).map((r) => r.msg).find((m): m is SipResponse => m?.kind === "response" && m.headers.get("Call-ID") === callId && m.status >= 180);
  await peer.until(() => answer() !== undefined);
  return { first: answer()!, callId, branch, uri, from };
}

/** The ACK of a non-2xx final response (RFC 3261 section 17.1.1.3: the INVITE's branch, the response's To). */
async function ackFailure(peer: RawUdpPeer, host: string, call: { callId: string; branch: string; uri: string; from: string; first: SipResponse }): Promise<void> {
  await peer.send(sipBytes([
    `ACK ${call.uri} SIP/2.0`, `Via: SIP/2.0/UDP ${host}:${peer.port};branch=${call.branch};rport`, `From: ${call.from}`, `To: ${call.first.headers.get("To")}`,
    `Call-ID: ${call.callId}`, "CSeq: 1 ACK", "Max-Forwards: 70",
  ]), sipPort);
}

test("past the limit of wrong PINs from one address, its new INVITEs to PIN conferences get 403; another address is still prompted", async () => {
  const c = await conference({ joinHandling: "PIN", pin: "4321" });
  // 3 calls x 3 wrong PINs, each ended by the focus with 403 after its third: 9 wrong from 127.0.0.1
  for (let i = 0; i < 3; i++) await guessingCall(c.dialInCode, ["1#", "12#", "123#"]);
  // the 10th is checked (and wrong); the 11th is not checked: the call is refused with 403 before its third try
  await guessingCall(c.dialInCode, ["9#", "4321#"]);
  expect((await t.admin.must(`query($id: ID!) { users(conferenceId: $id) { id } }`, { id: c.id })).users).toEqual([]); // the right PIN, unchecked, joined nobody

  // a new INVITE from the same address: refused at once, no prompt
  const same = await RawUdpPeer.open("127.0.0.1");
  peers.push(same);
  const refused = await invite(same, "127.0.0.1", c.dialInCode);
  expect(refused.first.status).toBe(403);
  expect(refused.first.reason).toBe("Forbidden (too many wrong PINs)");
  expect(refused.first.headers.get("Warning")).toMatch(/^399 focus "too many wrong PINs from this address: try again in \d+ s"$/);
  expect(refused.first.headers.get("Retry-After")).toBeUndefined(); // RFC 3261 section 20.33 does not define it for 403
  expect(same.responses(183, "INVITE")).toEqual([]);
  await ackFailure(same, "127.0.0.1", refused);

  // another source address is prompted as usual (183 with the SDP answer), then CANCELs
  const other = await RawUdpPeer.open("127.0.0.2");
  peers.push(other);
  const prompted = await invite(other, "127.0.0.2", c.dialInCode);
  expect(prompted.first.status).toBe(183);
  await other.send(sipBytes([
    `CANCEL ${prompted.uri} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.2:${other.port};branch=${prompted.branch};rport`, `From: ${prompted.from}`, `To: <${prompted.uri}>`,
    `Call-ID: ${prompted.callId}`, "CSeq: 1 CANCEL", "Max-Forwards: 70",
  ]), sipPort);
  await other.until(() => other.responses(487, "INVITE").length > 0);
  await ackFailure(other, "127.0.0.2", { ...prompted, first: other.responses(487, "INVITE")[0]! });

  // the limited address still calls into a conference without a PIN
  const open = await conference({});
  const answered = await invite(same, "127.0.0.1", open.dialInCode);
  expect(answered.first.status).toBe(200);
  const ok = answered.first;
  const target = /<([^>]+)>/.exec(ok.headers.get("Contact")!)![1]!; // in-dialog requests go to the remote target (RFC 3261 section 12.2.1.1)
  await same.send(sipBytes([
    `ACK ${target} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${same.port};branch=z9hG4bKack${answered.callId};rport`, `From: ${answered.from}`, `To: ${ok.headers.get("To")}`,
    `Call-ID: ${answered.callId}`, "CSeq: 1 ACK", "Max-Forwards: 70",
  ]), sipPort);
  await same.send(sipBytes([
    `BYE ${target} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${same.port};branch=z9hG4bKbye${answered.callId};rport`, `From: ${answered.from}`, `To: ${ok.headers.get("To")}`,
    `Call-ID: ${answered.callId}`, "CSeq: 2 BYE", "Max-Forwards: 70",
  ]), sipPort);
  await same.until(() => same.responses(200, "BYE").length > 0);
  await until(() => t.focus.sip!.service.callCount === 0, "every call forgotten");
}, 90_000);
