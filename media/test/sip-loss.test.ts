// Peer: sipp (Debian sip-tester) as lossy UDP callers (-lost): RFC 3261 retransmissions on both sides carry whole calls through.
/**
 * sipp drops the given share of the packets it sends and of those it receives, so both ends retransmit: sipp
 * its INVITE (Timer A) and BYE (Timer E), the focus its 2xx until the ACK (RFC 3261 section 13.3.1.4) and its
 * final responses to retransmitted requests (section 17.2). sipp draws the losses from rand() seeded with the
 * clock and has no seed option, so each run loses other packets: the assertions hold for any loss pattern,
 * and the retransmission limits and timeouts are far above what 15% loss needs (a run takes 3 to 9 s).
 * A raw socket then checks the same absorption deterministically, with exact copies of one INVITE and one BYE.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startTestFocus, type TestFocus } from "../../api/test/support/focus.ts";
import { freeUdpPort } from "../../api/test/support/net.ts";
import { parseNameAddr } from "../src/sip/address.ts";
import type { SipMessage } from "../src/sip/message.ts";
import type { Peer } from "../src/sip/transport.ts";
import { RawUdpPeer, sipBytes } from "./support/raw-peer.ts";
import { expectSippOk, fillScenario, sipp, sippWork } from "./support/sipp.ts";

let t: TestFocus;
beforeAll(async () => {
  t = await startTestFocus();
});
afterAll(async () => {
  await t?.close();
});

const CALLS = 20;
/** the percentage of the packets sipp drops, of those it sends and of those it receives */
const LOSS = 15;

async function conference(subject: string): Promise<{ id: string; dialInCode: string }> {
  const { createConference } = await t.admin.must(`mutation($input: ConferenceInput!) { createConference(input: $input) { id dialInCode } }`, { input: { subject } });
  return createConference;
}

async function events(conferenceId: string): Promise<{ type: string; payload: any }[]> {
  const { events } = await t.admin.must(`query($id: ID!) { events(conferenceId: $id, limit: 1000) { type payload } }`, { id: conferenceId });
  return events;
}

/** The conference's events once `count` of type `type` are among them (a BYE is answered before the roster changes). */
async function eventsUntil(conferenceId: string, type: string, count: number): Promise<{ type: string; payload: any }[]> {
  for (let i = 0; i < 100; i++) {
    const all = await events(conferenceId);
    if (all.filter((e) => e.type === type).length >= count) return all;
    await new Promise((r) => setTimeout(r, 50));
  }
  return events(conferenceId);
}

/** The last row of a sipp -trace_stat CSV, by column name. */
function lastStats(file: string): Record<string, string> {
  const lines = readFileSync(file, "utf8").trim().split("\n");
  const head = lines[0]!.split(";");
  const row = lines[lines.length - 1]!.split(";");
  return Object.fromEntries(head.map((h, i) => [h, row[i] ?? ""]));
}

/** The non-zero Retrans and Lost counters of a sipp -trace_counts CSV (columns like 0_INVITE_Retrans, 2_200_Lost). */
function counts(dir: string, prefix: string): Record<string, number> {
  const name = readdirSync(dir).find((f) => f.startsWith(prefix) && f.endsWith("_counts.csv"));
  if (!name) return {};
  const lines = readFileSync(join(dir, name), "utf8").trim().split("\n");
  const head = lines[0]!.split(";");
  const row = lines[lines.length - 1]!.split(";");
  const out: Record<string, number> = {};
  head.forEach((h, i) => {
    const n = Number(row[i]);
    if (/_(Retrans|Lost)$/.test(h) && n > 0) out[h] = n;
  });
  return out;
}

test(`${CALLS} calls (INVITE/200/ACK/BYE) through ${LOSS}% packet loss each way: every call completes, once`, async () => {
  const c = await conference("Lossy line");

  // Watch what the focus sends: the number of 2xx to each INVITE (more than one per call = retransmitted by the UAS core).
  const transport = t.focus.sip!.endpoint.transport;
  const send = transport.send;
  const okPerCall = new Map<string, number>();
  transport.send = (msg: SipMessage, to: Peer) => {
    if (msg.kind === "response" && msg.status === 200 && /\bINVITE\s*$/.test(msg.headers.get("CSeq") ?? "")) {
      const id = msg.headers.get("Call-ID") ?? "";
      okPerCall.set(id, (okPerCall.get(id) ?? 0) + 1);
    }
    return send.call(transport, msg, to);
  };

  const scenario = fillScenario("lossy-call.xml", { HOLD_MS: 200 });
  const stats = join(sippWork, `lossy-stats-${Date.now()}.csv`);
  let run: Awaited<ReturnType<typeof sipp>>;
  try {
    run = await sipp(t.focus.sip!.port, scenario, {
      service: c.dialInCode,
      calls: CALLS,
      timeoutS: 35,
      // 10 calls a second, at most 5 at once; retransmission limits high enough that a call is never given up
      // for bad luck (7 INVITE retransmissions, doubling from 500 ms, span 63.5 s: beyond the global timeout).
      extra: [
        "-lost", String(LOSS), "-r", "10", "-l", "5", "-max_invite_retrans", "7", "-max_non_invite_retrans", "10",
        "-trace_stat", "-stf", stats, "-fd", "1", "-trace_counts",
      ],
    });
  } finally {
    transport.send = send;
  }
  expectSippOk(run);

  const s = lastStats(stats);
  expect({ ok: Number(s["SuccessfulCall(C)"]), failed: Number(s["FailedCall(C)"]) }).toEqual({ ok: CALLS, failed: 0 });

  // Both ends had to retransmit: sipp its INVITEs, ACKs and BYEs, the focus its 2xx until the ACK came.
  const sippSide = Number(s["Retransmissions(C)"]);
  const focusSide = [...okPerCall.values()].reduce((a, n) => a + n - 1, 0);
  expect(okPerCall.size).toBe(CALLS);
  expect(sippSide + focusSide).toBeGreaterThan(0);

  // Each call joined exactly once (a retransmitted INVITE is absorbed by its server transaction) and left.
  const all = await eventsUntil(c.id, "USER_LEFT", CALLS);
  const joined = all.filter((e) => e.type === "USER_JOINED");
  expect(joined).toHaveLength(CALLS);
  expect(new Set(joined.map((e) => e.payload.user.id)).size).toBe(CALLS);
  expect(all.filter((e) => e.type === "USER_LEFT")).toHaveLength(CALLS);
  expect(all.filter((e) => e.type === "USER_ADDED")).toHaveLength(CALLS);

  const { users } = await t.admin.must(`query($id: ID!) { users(conferenceId: $id) { entity joinState via } }`, { id: c.id });
  expect(users).toHaveLength(CALLS);
  expect(new Set(users.map((u: { entity: string }) => u.entity)).size).toBe(CALLS);
  for (const u of users) expect(u).toEqual({ entity: expect.stringMatching(/^sip:sipp-lossy-\d+@127\.0\.0\.1$/), joinState: "DISCONNECTED", via: null });

  expect(t.focus.sip!.service.callCount).toBe(0);
  console.log(`sip-loss: ${CALLS} calls in ${s["ElapsedTime(C)"]}; sipp retransmissions ${sippSide}, focus 2xx retransmissions ${focusSide}; sipp per message: ${JSON.stringify(counts(sippWork, "lossy-call"))}`);
}, 45_000);

test("retransmitted INVITEs and BYEs are absorbed by their server transactions (exact copies from a raw socket)", async () => {
  const c = await conference("Echoes");
  const peer = await RawUdpPeer.open();
  const sipPort = t.focus.sip!.port;
  const media = await freeUdpPort(true);
  const id = randomBytes(6).toString("hex");
  const local = `127.0.0.1:${peer.port}`;
  const target = `sip:${c.dialInCode}@127.0.0.1:${sipPort}`;
  const common = [`From: "Echo" <sip:echo-${id}@127.0.0.1>;tag=e${id}`, `Call-ID: echo-${id}@127.0.0.1`, "Max-Forwards: 70"];
  const sdp = ["v=0", "o=echo 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0", `m=audio ${media} RTP/AVP 0`, "a=rtpmap:0 PCMU/8000", ""].join("\r\n");
  const invite = sipBytes([
    `INVITE ${target} SIP/2.0`, `Via: SIP/2.0/UDP ${local};branch=z9hG4bK-inv-${id};rport`, ...common, `To: <${target}>`,
    "CSeq: 1 INVITE", `Contact: <sip:echo@${local}>`, "Content-Type: application/sdp",
  ], sdp);
  try {
    // Two copies at once: the second reaches the transaction while the join is still under way (Proceeding).
    await peer.send(invite, sipPort);
    await peer.send(invite, sipPort);
    await peer.until(() => peer.responses(200, "INVITE").length > 0);
    // A third once answered (Accepted, RFC 6026): still one call.
    await peer.send(invite, sipPort);
    await new Promise((r) => setTimeout(r, 100));
    const ok = peer.responses(200, "INVITE")[0]!;
    const to = ok.headers.get("To")!;
    const inDialog = (method: string, cseq: number, branch: string) => sipBytes([
      `${method} sip:focus@127.0.0.1:${sipPort} SIP/2.0`, `Via: SIP/2.0/UDP ${local};branch=z9hG4bK-${branch}-${id};rport`, ...common, `To: ${to}`, `CSeq: ${cseq} ${method}`,
    ]);
    await peer.send(inDialog("ACK", 1, "ack"), sipPort);
    await new Promise((r) => setTimeout(r, 200));
    const bye = inDialog("BYE", 2, "bye");
    await peer.send(bye, sipPort);
    await peer.until(() => peer.responses(200, "BYE").length === 1);
    await peer.send(bye, sipPort);
    await peer.until(() => peer.responses(200, "BYE").length === 2);

    // Every final response to the INVITE is the same 2xx (no 486 "already in the conference", no 500),
    // all with the one dialog's tag; the BYE's retransmission got the transaction's 200 again, byte for byte.
    const finals = peer.received.filter((r) => r.msg?.kind === "response" && r.msg.status >= 200 && / INVITE$/.test(r.msg.headers.get("CSeq") ?? ""));
    expect(finals.every((r) => r.msg!.kind === "response" && r.msg!.status === 200)).toBe(true);
    expect(new Set(finals.map((r) => parseNameAddr(r.msg!.headers.get("To")!).params.get("tag"))).size).toBe(1);
    const byeOks = peer.received.filter((r) => r.msg?.kind === "response" && / BYE$/.test(r.msg.headers.get("CSeq") ?? ""));
    expect(byeOks).toHaveLength(2);
    expect(byeOks[1]!.raw.equals(byeOks[0]!.raw)).toBe(true);

    const all = await eventsUntil(c.id, "USER_LEFT", 1);
    expect(all.filter((e) => e.type === "USER_JOINED")).toHaveLength(1);
    expect(all.filter((e) => e.type === "USER_LEFT")).toHaveLength(1);
    expect(t.focus.sip!.service.callCount).toBe(0);
  } finally {
    await peer.close();
  }
});
