// Unit tests of the UAC dialog (RFC 3261 sections 12.1.2, 13.2.2.4, 15) over a fake transport: the
// endpoint's real transaction layer, with the messages it sends recorded and the peer's answers injected.
import { createResponse, parseMessage, type SipRequest, type SipResponse } from "./index.ts";
import type { SipEndpoint, ResponseHandle } from "./endpoint.ts";
import { FakeTransport, fakeEndpoint } from "./fake-transport.ts";
import { uasDialogKeyOf } from "./dialog.ts";
import type { Peer } from "./transport.ts";
import { invite, SipCallError, type UacDialog, type UacEndReason } from "./uac-dialog.ts";

const HOME: Peer = { transport: "udp", address: "127.0.0.1", port: 5070 };
const OFFER = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

let transport: FakeTransport;
let endpoint: SipEndpoint;
const ended: UacEndReason[] = [];

beforeEach(() => {
  transport = new FakeTransport();
  endpoint = fakeEndpoint(transport);
  endpoint.on("request", () => {});
  ended.length = 0;
});
afterEach(async () => {
  await endpoint.close();
});

const tick = () => new Promise((r) => setImmediate(r));

function place(signal?: AbortSignal) {
  const provisional: number[] = [];
  const call = invite({
    endpoint, target: "sip:123456@127.0.0.1:5070", via: HOME, from: "sip:focus@island-b.example", displayName: "island-b.example",
    contact: "<sip:focus@127.0.0.1:5062>", sdp: OFFER, onProvisional: (r) => provisional.push(r.status),
    onEnded: (_d, why) => ended.push(why), ...(signal ? { signal } : {}),
  });
  return { call, provisional };
}

/** The home's 2xx to our INVITE: its tag, Contact, and two proxies' Record-Route. */
function ok(req: SipRequest, tag = "home1"): SipResponse {
  return createResponse(req, 200, "OK", {
    toTag: tag,
    headers: [["Record-Route", "<sip:p2.example;lr>"], ["Record-Route", "<sip:127.0.0.1:5080;lr>"], ["Contact", "<sip:focus@127.0.0.1:5070>"]],
    body: Buffer.from(OFFER.replace("20000", "30000")), contentType: "application/sdp",
  });
}

async function established(): Promise<{ dialog: UacDialog; inviteReq: SipRequest }> {
  const { call } = place();
  await tick();
  const inviteReq = transport.requests("INVITE")[0]!.msg;
  transport.deliver(HOME, ok(inviteReq));
  return { dialog: await call, inviteReq };
}

/** A request from the home inside the dialog (its From is our To, and the reverse). */
function fromHome(dialog: UacDialog, inviteReq: SipRequest, method: string, cseq: number): SipRequest {
  const text = [
    `${method} sip:focus@127.0.0.1:5062 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK${method}${cseq}`,
    `From: <sip:123456@127.0.0.1:5070>;tag=${dialog.id.remoteTag}`,
    `To: ${inviteReq.headers.get("From")}`,
    `Call-ID: ${dialog.id.callId}`,
    `CSeq: ${cseq} ${method}`,
    "Max-Forwards: 70",
    "Content-Length: 0",
    "", "",
  ].join("\r\n");
  return parseMessage(Buffer.from(text)) as SipRequest;
}

test("INVITE with the offer; a 1xx is reported; the 2xx makes the dialog and is ACKed through the reversed Record-Route (RFC 3261 12.1.2, 13.2.2.4)", async () => {
  const { call, provisional } = place();
  await tick();
  const [sent] = transport.requests("INVITE");
  const req = sent!.msg;
  expect(sent!.to).toEqual(HOME);
  expect(req.uri).toBe("sip:123456@127.0.0.1:5070");
  expect(req.headers.get("From")).toMatch(/^"island-b.example" <sip:focus@island-b.example>;tag=\w+$/);
  expect(req.headers.get("Content-Type")).toBe("application/sdp");
  expect(req.body.toString()).toBe(OFFER);

  transport.deliver(HOME, createResponse(req, 180, "Ringing", { toTag: "home1" }));
  await tick();
  expect(provisional).toEqual([180]);
  transport.deliver(HOME, ok(req));
  const dialog = await call;
  expect(dialog.state).toBe("confirmed");
  expect(dialog.answer.body.toString()).toContain("m=audio 30000");
  expect(dialog.routeSet).toEqual(["<sip:127.0.0.1:5080;lr>", "<sip:p2.example;lr>"]);

  const [ack] = transport.requests("ACK");
  expect(ack!.to).toEqual({ transport: "udp", address: "127.0.0.1", port: 5080 }); // the first route
  expect(ack!.msg.uri).toBe("sip:focus@127.0.0.1:5070"); // the remote target
  expect(ack!.msg.headers.getAll("Route")).toEqual(dialog.routeSet);
  expect(ack!.msg.headers.get("CSeq")).toBe(`${req.headers.get("CSeq")!.split(" ")[0]} ACK`);
  expect(ack!.msg.headers.get("To")).toContain("tag=home1");
  expect(ack!.msg.headers.get("Via")).not.toBe(req.headers.get("Via")); // its own branch: not part of the INVITE transaction

  // a retransmitted 2xx is ACKed again
  transport.deliver(HOME, ok(req));
  await tick();
  expect(transport.requests("ACK")).toHaveLength(2);
});

test("a non-2xx rejects with SipCallError carrying the status; the transaction ACKs it", async () => {
  const { call } = place();
  await tick();
  const req = transport.requests("INVITE")[0]!.msg;
  transport.deliver(HOME, createResponse(req, 480, "Temporarily Unavailable", { toTag: "x" }));
  const err = await call.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SipCallError);
  expect((err as SipCallError).sipStatusCode).toBe(480);
  const [ack] = transport.requests("ACK");
  expect(ack!.msg.headers.get("Via")).toBe(req.headers.get("Via")); // section 17.1.1.3: same branch
});

test("bye() sends BYE in the dialog and ends it once answered; twice is one BYE", async () => {
  const { dialog, inviteReq } = await established();
  const done = Promise.all([dialog.bye(), dialog.bye()]);
  await tick();
  const byes = transport.requests("BYE");
  expect(byes).toHaveLength(1);
  const bye = byes[0]!.msg;
  expect(uasDialogKeyOf({ ...bye, headers: swapFromTo(bye) })).toBe(dialog.key);
  expect(Number(bye.headers.get("CSeq")!.split(" ")[0])).toBe(Number(inviteReq.headers.get("CSeq")!.split(" ")[0]) + 1);
  expect(dialog.state).toBe("terminating");
  transport.deliver(HOME, createResponse(bye, 200));
  await done;
  expect(dialog.state).toBe("terminated");
  expect(ended).toEqual(["local-bye"]);
});

test("the home's BYE is answered 200 and ends the dialog; later requests get 481; re-INVITE 488; an old CSeq 500", async () => {
  const { dialog, inviteReq } = await established();
  const reinvite = fromHome(dialog, inviteReq, "INVITE", 5);
  expect(uasDialogKeyOf(reinvite)).toBe(dialog.key); // what the SIP service routes by
  dialog.receive(reinvite, handle(reinvite));
  dialog.receive(fromHome(dialog, inviteReq, "OPTIONS", 4), handle(fromHome(dialog, inviteReq, "OPTIONS", 4)));
  const bye = fromHome(dialog, inviteReq, "BYE", 6);
  dialog.receive(bye, handle(bye));
  expect(dialog.state).toBe("terminated");
  expect(ended).toEqual(["remote-bye"]);
  const again = fromHome(dialog, inviteReq, "BYE", 7);
  dialog.receive(again, handle(again));
  await tick();
  expect(transport.responses().map((r) => r.status)).toEqual([488, 500, 200, 481]);
});

test("aborted before the answer: a 2xx that comes later is ACKed and hung up on", async () => {
  const abort = new AbortController();
  const { call } = place(abort.signal);
  await tick();
  const req = transport.requests("INVITE")[0]!.msg;
  abort.abort(new Error("not wanted"));
  transport.deliver(HOME, ok(req));
  await expect(call).rejects.toThrow("not wanted");
  await tick();
  expect(transport.requests("ACK")).toHaveLength(1);
  expect(transport.requests("BYE")).toHaveLength(1);
});

/** A response handle that answers through the endpoint's own server transaction. */
function handle(req: SipRequest): ResponseHandle {
  let got: ResponseHandle | null = null;
  endpoint.on("request", (_r, res) => (got = res));
  transport.deliver(HOME, req);
  endpoint.on("request", () => {});
  if (!got) throw new Error(`the endpoint did not hand ${req.method} over`);
  return got;
}

function swapFromTo(req: SipRequest) {
  const h = req.headers.clone();
  const from = h.get("From")!;
  h.set("From", h.get("To")!);
  h.set("To", from);
  return h;
}
