// Unit tests of the dialog journal: what the SIP face records when it answers a call and forgets when the
// call ends (a fake journal, a fake domain, an endpoint over a fake transport), and the BYE a restarted
// focus sends from a journal entry (endOrphanedDialog).
import { EventBus, type ConferenceDomain, type ConferenceEvent, type ConferenceSummary, type UserState } from "@dcon/core";
import { createResponse, parseMessage, type SipRequest } from "../sip/index.ts";
import type { DialogId } from "../sip/dialog.ts";
import type { SipEndpoint } from "../sip/endpoint.ts";
import { FakeTransport, fakeEndpoint } from "../sip/fake-transport.ts";
import { parseCSeq } from "../sip/address.ts";
import type { Peer } from "../sip/transport.ts";
import { ConferenceSipService } from "./sip-service.ts";
import { endOrphanedDialog, FOCUS_RESTARTED_REASON, type DialogJournal, type JournaledDialog } from "./dialog-journal.ts";

const CALLER: Peer = { transport: "udp", address: "127.0.0.1", port: 5099 };
const quiet = { info: () => {}, warn: () => {}, debug: () => {} };

const conference = {
  id: "conf-1", dialInCode: "123456", status: "ACTIVE", locked: false, floorControlled: false, joinHandling: "ALLOW", homeIsland: "island-a.example",
} as ConferenceSummary;

function user(joinState: UserState["joinState"] = "CONNECTED"): UserState {
  return { id: "user-1", conferenceId: conference.id, entity: "sip:alice@example.com", displayName: "Alice", role: "PARTICIPANT", joinState, via: "sip", muted: false } as UserState;
}

/** The domain as the SIP face reads it: one open conference, joins always admitted. */
class FakeDomain {
  readonly island = "island-a.example";
  readonly bus = new EventBus();
  readonly calls: string[] = [];
  readonly conferences = { findByDialInCode: async (code: string) => (code === conference.dialInCode ? conference : null) };
  readonly roster = {
    join: async () => (this.calls.push("join"), user()),
    leave: async () => (this.calls.push("leave"), user("DISCONNECTED")),
    get: async () => user(),
    setTalking: async () => user(),
  };
  kick(): void {
    this.bus.publish({ conferenceId: conference.id, origin: this.island, seq: 9, type: "USER_KICKED", payload: { user: user("DISCONNECTED") }, at: new Date(), actor: null } as ConferenceEvent);
  }
}

/** A journal in memory that logs its calls; `gate` holds record() until opened (a slow database). */
class FakeJournal implements DialogJournal {
  readonly entries = new Map<string, JournaledDialog>();
  readonly ops: string[] = [];
  gate: Promise<void> = Promise.resolve();
  failRecord = false;
  async record(d: JournaledDialog): Promise<void> {
    this.ops.push(`record ${d.id.callId}`);
    await this.gate;
    if (this.failRecord) throw new Error("database unavailable");
    this.entries.set(d.id.callId, d);
  }
  async forget(id: DialogId): Promise<void> {
    this.ops.push(`forget ${id.callId}`);
    this.entries.delete(id.callId);
  }
  async list(): Promise<JournaledDialog[]> {
    return [...this.entries.values()];
  }
}

let transport: FakeTransport;
let endpoint: SipEndpoint;
let domain: FakeDomain;
let journal: FakeJournal;
let service: ConferenceSipService;

beforeEach(() => {
  transport = new FakeTransport();
  endpoint = fakeEndpoint(transport, { T1: 10, T2: 40, T4: 50 });
  domain = new FakeDomain();
  journal = new FakeJournal();
  service = new ConferenceSipService({
    endpoint, domain: domain as unknown as ConferenceDomain, advertisedHost: "127.0.0.1", rtpHost: "127.0.0.1",
    rtpPorts: { min: 43000, max: 43998 }, log: quiet, journal,
  });
});
afterEach(async () => {
  await service.close(100);
  await endpoint.close();
});

async function until(what: string, pred: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function sipMessage(lines: string[], body = ""): SipRequest {
  return parseMessage(Buffer.from(`${[...lines, `Content-Length: ${Buffer.byteLength(body)}`].join("\r\n")}\r\n\r\n${body}`)) as SipRequest;
}

const OFFER = ["v=0", "o=alice 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0", "m=audio 49170 RTP/AVP 0", "a=rtpmap:0 PCMU/8000", ""].join("\r\n");

/** The caller's INVITE (through a proxy that record-routes) and the focus' 200; returns the 200's To tag. */
async function call(callId: string, code = conference.dialInCode): Promise<{ invite: SipRequest; toTag: string | null; status: number }> {
  const invite = sipMessage([
    `INVITE sip:${code}@127.0.0.1:5062 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-${callId.replace(/\W/g, "")}`,
    "Record-Route: <sip:proxy.example.com;lr>",
    "Max-Forwards: 70",
    'From: "Alice" <sip:alice@example.com>;tag=alice-1',
    `To: <sip:${code}@127.0.0.1:5062>`,
    `Call-ID: ${callId}`,
    "CSeq: 7 INVITE",
    "Contact: <sip:alice@127.0.0.1:5099>",
    "Content-Type: application/sdp",
  ], OFFER);
  transport.deliver(CALLER, invite);
  await until("a final response", () => transport.responses().some((r) => r.headers.get("Call-ID") === callId && r.status >= 200));
  const res = transport.responses().find((r) => r.headers.get("Call-ID") === callId && r.status >= 200)!;
  return { invite, toTag: /;tag=([^;>\s]+)/.exec(res.headers.get("To") ?? "")?.[1] ?? null, status: res.status };
}

function inDialog(method: string, callId: string, toTag: string, cseq: number): SipRequest {
  return sipMessage([
    `${method} sip:focus@127.0.0.1:5062 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-${method}-${cseq}`,
    "Max-Forwards: 70",
    'From: "Alice" <sip:alice@example.com>;tag=alice-1',
    `To: <sip:${conference.dialInCode}@127.0.0.1:5062>;tag=${toTag}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
  ]);
}

test("an answered call is recorded once with what a BYE needs, and forgotten when the caller hangs up", async () => {
  const { toTag, status } = await call("c1@example.com");
  expect(status).toBe(200);
  await until("the entry", () => journal.entries.size === 1);
  const entry = journal.entries.get("c1@example.com")!;
  expect(entry).toEqual({
    id: { callId: "c1@example.com", localTag: toTag, remoteTag: "alice-1" },
    // the focus' requests go From the INVITE's To (with the focus' tag) To its From (RFC 3261 section 12.1.1)
    local: `<sip:${conference.dialInCode}@127.0.0.1:5062>;tag=${toTag}`,
    remote: '"Alice" <sip:alice@example.com>;tag=alice-1',
    remoteTarget: "sip:alice@127.0.0.1:5099",
    routeSet: ["<sip:proxy.example.com;lr>"],
    localCSeq: expect.any(Number),
    localContact: "<sip:focus@127.0.0.1:5062>",
    peer: CALLER,
    conferenceId: conference.id,
    userId: "user-1",
  });
  transport.deliver(CALLER, inDialog("ACK", "c1@example.com", toTag!, 7));
  transport.deliver(CALLER, inDialog("BYE", "c1@example.com", toTag!, 8));
  await until("the entry gone", () => journal.entries.size === 0);
  expect(journal.ops).toEqual(["record c1@example.com", "forget c1@example.com"]);
  expect(domain.calls).toEqual(["join", "leave"]);
});

test("a call the focus hangs up (a kick) is forgotten after its BYE; the BYE's CSeq follows the recorded one", async () => {
  const { toTag } = await call("c2@example.com");
  transport.deliver(CALLER, inDialog("ACK", "c2@example.com", toTag!, 7));
  await until("the entry", () => journal.entries.size === 1);
  const recorded = journal.entries.get("c2@example.com")!.localCSeq;
  domain.kick();
  await until("the focus' BYE", () => transport.requests("BYE").length === 1);
  const bye = transport.requests("BYE")[0]!.msg;
  expect(parseCSeq(bye.headers.get("CSeq")!).seq).toBe(recorded + 1);
  transport.deliver(CALLER, createResponse(bye, 200));
  await until("the entry gone", () => journal.entries.size === 0);
  expect(journal.ops).toEqual(["record c2@example.com", "forget c2@example.com"]);
});

test("refused calls are never recorded", async () => {
  expect((await call("c3@example.com", "999999")).status).toBe(404);
  await new Promise((r) => setTimeout(r, 20));
  expect(journal.ops).toEqual([]);
});

test("a call shorter than its journal write is forgotten after the write, so no entry is left behind", async () => {
  let open!: () => void;
  journal.gate = new Promise((r) => (open = r));
  const { toTag } = await call("c4@example.com");
  transport.deliver(CALLER, inDialog("ACK", "c4@example.com", toTag!, 7));
  transport.deliver(CALLER, inDialog("BYE", "c4@example.com", toTag!, 8));
  await until("the BYE answered", () => transport.responses().some((r) => r.headers.get("CSeq") === "8 BYE" && r.status === 200));
  await new Promise((r) => setTimeout(r, 20));
  expect(journal.ops).toEqual(["record c4@example.com"]); // the removal waits for the write
  open();
  await until("the entry gone", () => journal.ops.length === 2);
  expect(journal.ops).toEqual(["record c4@example.com", "forget c4@example.com"]);
  expect(journal.entries.size).toBe(0);
});

test("a journal that cannot write does not stop the call", async () => {
  journal.failRecord = true;
  const { toTag, status } = await call("c5@example.com");
  expect(status).toBe(200);
  transport.deliver(CALLER, inDialog("ACK", "c5@example.com", toTag!, 7));
  expect(service.callCount).toBe(1);
  transport.deliver(CALLER, inDialog("BYE", "c5@example.com", toTag!, 8));
  await until("the call over", () => service.callCount === 0 && domain.calls.includes("leave"));
});

describe("endOrphanedDialog (a restarted focus ends a journaled dialog)", () => {
  const orphan: JournaledDialog = {
    id: { callId: "old@example.com", localTag: "focus-tag", remoteTag: "alice-1" },
    local: "<sip:123456@127.0.0.1:5062>;tag=focus-tag",
    remote: '"Alice" <sip:alice@example.com>;tag=alice-1',
    remoteTarget: "sip:alice@127.0.0.1:5099",
    routeSet: ["<sip:127.0.0.1:5070;lr>"],
    localCSeq: 41,
    localContact: "<sip:focus@127.0.0.1:5062>",
    peer: CALLER,
    conferenceId: conference.id,
    userId: "user-1",
  };

  test("BYE in the dialog through its route set, CSeq one more than journaled, with the Reason; a 200 ends it", async () => {
    const outcome = endOrphanedDialog(endpoint, orphan);
    await until("the BYE", () => transport.requests("BYE").length === 1);
    const { msg: bye, to } = transport.requests("BYE")[0]!;
    expect(to).toEqual({ transport: "udp", address: "127.0.0.1", port: 5070 }); // the first Route, not the target
    expect(bye.uri).toBe("sip:alice@127.0.0.1:5099");
    expect(bye.headers.getAll("Route")).toEqual(["<sip:127.0.0.1:5070;lr>"]);
    expect(bye.headers.get("From")).toBe(orphan.local);
    expect(bye.headers.get("To")).toBe(orphan.remote);
    expect(bye.headers.get("Call-ID")).toBe("old@example.com");
    expect(bye.headers.get("CSeq")).toBe("42 BYE");
    expect(bye.headers.get("Reason")).toBe(FOCUS_RESTARTED_REASON);
    transport.deliver(CALLER, createResponse(bye, 200));
    expect(await outcome).toEqual({ kind: "ended", status: 200 });
  });

  test("481 (the phone forgot the call) and no answer at all end it too", async () => {
    const gone = endOrphanedDialog(endpoint, { ...orphan, routeSet: [] });
    await until("the BYE", () => transport.requests("BYE").length === 1);
    const { msg: bye, to } = transport.requests("BYE")[0]!;
    expect(to).toEqual(CALLER); // no route set: the remote target
    transport.deliver(CALLER, createResponse(bye, 481));
    expect(await gone).toEqual({ kind: "gone", status: 481 });
    // Timer F (64*T1, 640 ms with these timers)
    expect(await endOrphanedDialog(endpoint, { ...orphan, id: { ...orphan.id, callId: "silent@example.com" } })).toEqual({ kind: "unreachable", status: 408 });
  });
});
