// Peers: sipp (Debian sip-tester) sets up the calls; the BFCP client is this test's own, written from RFC 8855 independently of the focus' codec
//
// Each caller is a sipp call (media/test/sipp/bfcp-call.xml) offering a BFCP stream (RFC 8856); the 200's SDP
// gives it a=confid, a=userid and a=floorid, which sipp writes to its <log> file and the test reads back. The
// test then speaks BFCP (media/test/support/bfcp-client.ts) to the focus' floor control server over TCP
// (version 1) and UDP (version 2) from 127.0.0.1, the address the calls' SDP names. A floor-controlled
// conference makes the floor audible: the talker's 440 Hz tone reaches a listener's RTP socket only while
// the talker holds the audio floor.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startTestFocus, type TestFocus } from "../../api/test/support/focus.ts";
import {
  Attr,
  BfcpTcpClient,
  BfcpUdpClient,
  body,
  ErrorCode,
  message,
  Primitive,
  Status,
  attribute,
  statusOf,
  unsigned16,
  type BfcpClient,
  type Ids,
  type Received,
} from "./support/bfcp-client.ts";
import { pressKeys, rtpEar, until } from "./support/rtp.ts";
import { expectSippOk, fillScenario, sipp, sippWork, writeTone440, type SippRun } from "./support/sipp.ts";

let t: TestFocus;
let bfcpPort: number;
const clients: BfcpClient[] = [];

beforeAll(async () => {
  t = await startTestFocus();
  bfcpPort = t.focus.sip!.bfcp!.transport.port;
  writeTone440();
});

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

afterAll(async () => {
  await t?.close();
});

// ---- calls ----

interface Identity extends Ids {
  floorId: number;
  port: number;
  proto: string;
}

interface Caller {
  user: string;
  run: Promise<SippRun>;
  ids: Identity;
  /** the domain user (GraphQL) */
  userId: string;
}

let callSeq = 0;

/**
 * A sipp call offering BFCP that stays until kicked; resolves once the 200 gave it its BFCP identity (read
 * from sipp's <log> file) and it is CONNECTED in the conference.
 */
async function call(
  c: { id: string; dialInCode: string },
  o: { user: string; proto?: "TCP" | "UDP"; audio?: "tone" | "silent" | { listenPort: number }; joins?: boolean },
): Promise<Caller> {
  const proto = o.proto ?? "TCP";
  const audio = o.audio ?? "silent";
  const logFile = join(sippWork, `bfcp-${process.pid}-${++callSeq}.log`);
  const scenario = fillScenario("bfcp-call.xml", {
    USER: o.user,
    NAME: o.user,
    BFCP_PROTO: `${proto}/BFCP`,
    BFCP_ATTRS: proto === "TCP" ? "a=setup:active\n      a=connection:new\n      a=floorctrl:c-only" : "a=floorctrl:c-only",
    AUDIO_PORT: audio === "tone" ? "[rtpstream_audio_port]" : audio === "silent" ? "[media_port]" : audio.listenPort,
    DIRECTION: "a=sendrecv",
    RTP: audio === "tone" ? `<nop><action><exec rtp_stream="tone440.ul,-1,0"/></action></nop>` : "",
    HOLD_MS: 55_000,
  });
  const run = sipp(t.focus.sip!.port, scenario, { service: c.dialInCode, timeoutS: 58, extra: ["-trace_logs", "-log_file", logFile] });
  let ids: Identity | undefined;
  let exited = false;
  void run.then(() => (exited = true));
  await until(() => {
    if (exited) throw new Error(`sipp (${o.user}) ended before the 200`);
    const m = existsSync(logFile) ? /BFCP from=(\S+) confid=(\d+) userid=(\d+) floorid=(\d+) port=(\d+) proto=(\w+)/.exec(readFileSync(logFile, "utf8")) : null;
    if (m) ids = { conferenceId: Number(m[2]), userId: Number(m[3]), floorId: Number(m[4]), port: Number(m[5]), proto: m[6]! };
    return ids !== undefined;
  }, `${o.user}'s 200 with a=confid/a=userid/a=floorid`);
  const caller: Caller = { user: o.user, run, ids: ids!, userId: "" };
  if (o.joins !== false) await joinedUser(c, caller);
  return caller;
}

/** The CONNECTED user with this caller's entity (GraphQL), once there is one. */
async function joinedUser(c: { id: string }, caller: Caller): Promise<string> {
  await until(async () => {
    const { users } = await t.admin.must(`query($id: ID!) { users(conferenceId: $id) { id entity joinState } }`, { id: c.id });
    caller.userId = users.find((u: { entity: string; joinState: string }) => u.entity === `sip:${caller.user}@127.0.0.1` && u.joinState === "CONNECTED")?.id ?? "";
    return caller.userId !== "";
  }, `${caller.user} to join`);
  return caller.userId;
}

/** Hangs the callers up (a kick: the focus sends BYE, the scenario answers) and checks sipp's verdict. */
async function hangUp(...callers: Caller[]): Promise<void> {
  for (const c of callers) await t.admin.must(`mutation($id: ID!) { kickUser(id: $id) { joinState } }`, { id: c.userId });
  for (const c of callers) expectSippOk(await c.run);
}

async function conference(subject: string, extra: Record<string, unknown> = {}): Promise<{ id: string; dialInCode: string; audioFloor: string }> {
  const { createConference: c } = await t.admin.must(
    `mutation($input: ConferenceInput!) { createConference(input: $input) { id dialInCode floors { id label policy maxHolders } } }`,
    { input: { subject, ...extra } },
  );
  const audio = c.floors.find((f: { label: string }) => f.label === "audio");
  expect(audio).toMatchObject({ policy: "MODERATED", maxHolders: 1 });
  return { id: c.id, dialInCode: c.dialInCode, audioFloor: audio.id };
}

async function tcp(ids: Ids, opts: { localAddress?: string } = {}): Promise<BfcpTcpClient> {
  const c = await BfcpTcpClient.connect(bfcpPort, ids, opts);
  clients.push(c);
  return c;
}

async function udp(ids: Ids, opts: { autoAck?: boolean } = {}): Promise<BfcpUdpClient> {
  const c = await BfcpUdpClient.open(bfcpPort, ids, opts);
  clients.push(c);
  return c;
}

async function floorQueue(floorId: string): Promise<{ id: string; userId: string; status: string }[]> {
  const { floor } = await t.admin.must(`query($id: ID!) { floor(id: $id) { queue { id userId status } } }`, { id: floorId });
  return floor.queue;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isFrs = (m: Received) => m.primitive === Primitive.FloorRequestStatus;

// ---- a. the floor over TCP, heard in the mix ----

test("over TCP: Hello, a queued FloorRequest, a chair's ChairAction grants it (heard in the mix), FloorRelease; a GraphQL grant reaches BFCP too; a FloorQuery subscriber follows", async () => {
  const c = await conference("BFCP over TCP", { floorControlled: true, users: [{ entity: "sip:chair@127.0.0.1", displayName: "Chair", role: "MODERATOR" }] });
  const ear = await rtpEar([440, 660, 880, 1000]);
  const tone = (from = 0) => ear.heard.frames.slice(from).filter((f) => f === 440).length;
  try {
    const [listener, talker, chair] = await Promise.all([
      call(c, { user: "listener", audio: { listenPort: ear.port } }),
      call(c, { user: "talker", audio: "tone" }),
      call(c, { user: "chair" }),
    ]);
    // One conference, one floor, three users; the BFCP port is the focus' (RFC 8856 a=confid/userid/floorid).
    for (const x of [listener, talker, chair]) {
      expect(x.ids).toMatchObject({ conferenceId: talker.ids.conferenceId, floorId: talker.ids.floorId, port: bfcpPort, proto: "TCP" });
    }
    expect(new Set([listener, talker, chair].map((x) => x.ids.userId)).size).toBe(3);
    const floorId = talker.ids.floorId;

    const p = await tcp(talker.ids);
    const ch = await tcp(chair.ids);
    const l = await tcp(listener.ids);

    // Hello -> HelloAck (RFC 8855 section 5.3.12) listing what the server supports
    const hello = await p.request(body.hello());
    expect(hello).toMatchObject({ version: 1, responder: false, primitive: Primitive.HelloAck, conferenceId: talker.ids.conferenceId, userId: talker.ids.userId });
    expect(hello.supportedPrimitives).toEqual(expect.arrayContaining([Primitive.FloorRequest, Primitive.FloorRelease, Primitive.FloorRequestQuery, Primitive.FloorQuery, Primitive.ChairAction, Primitive.Hello, Primitive.Goodbye]));
    expect(hello.supportedAttributes).toEqual(expect.arrayContaining([Attr.BENEFICIARY_ID, Attr.FLOOR_ID, Attr.FLOOR_REQUEST_ID, Attr.PRIORITY, Attr.FLOOR_REQUEST_INFORMATION, Attr.FLOOR_REQUEST_STATUS, Attr.OVERALL_REQUEST_STATUS]));

    // The chair watches the floor (FloorQuery, section 13.5): an empty queue for now.
    const q = await ch.request(body.floorQuery([floorId]));
    expect(q).toMatchObject({ primitive: Primitive.FloorStatus, floorId, floorRequests: [] });

    // Talking without the floor: not heard.
    await until(() => ear.heard.frames.length >= 30, "the listener's mix");
    expect(tone()).toBe(0);

    // FloorRequest -> FloorRequestStatus Pending, first in the queue (MODERATED: a chair decides).
    const asked = await p.request(body.floorRequest({ floorId }));
    expect(asked.primitive).toBe(Primitive.FloorRequestStatus);
    expect(asked.transactionId).not.toBe(0);
    const pending = statusOf(asked)!;
    expect(pending).toMatchObject({ status: Status.Pending, queuePosition: 0 });
    const frid = pending.floorRequestId;
    expect(frid).toBeGreaterThan(0);
    expect(asked.floorRequests[0]).toMatchObject({ floorRequestId: frid, floors: [{ floorId }], beneficiaryId: talker.ids.userId });
    expect(await floorQueue(c.audioFloor)).toEqual([expect.objectContaining({ userId: talker.userId, status: "PENDING" })]);
    // the chair's subscription tells it (a server notification: Transaction ID 0 over TCP, section 8)
    const seen = await ch.waitFor((m) => m.primitive === Primitive.FloorStatus && m.transactionId === 0 && m.floorRequests.some((r) => r.floorRequestId === frid));
    expect(seen).toMatchObject({ floorId });
    expect(statusOf(seen)).toMatchObject({ status: Status.Pending });
    await sleep(300);
    expect(tone()).toBe(0);

    // The chair grants it: ChairActionAck to the chair, a Granted FloorRequestStatus notification to the talker.
    const pBefore = p.received.length;
    const chBefore = ch.received.length;
    const ack = await ch.request(body.chairAction({ floorRequestId: frid, floorId, status: Status.Granted }));
    expect(ack).toMatchObject({ primitive: Primitive.ChairActionAck, conferenceId: chair.ids.conferenceId, userId: chair.ids.userId });
    const granted = await p.waitFor(isFrs, 5000, pBefore);
    expect(granted).toMatchObject({ transactionId: 0, conferenceId: talker.ids.conferenceId, userId: talker.ids.userId });
    expect(statusOf(granted)).toMatchObject({ floorRequestId: frid, status: Status.Granted });
    const chSaw = await ch.waitFor((m) => m.primitive === Primitive.FloorStatus && statusOf(m)?.status === Status.Granted, 5000, chBefore);
    expect(chSaw.transactionId).toBe(0);
    expect(await floorQueue(c.audioFloor)).toEqual([expect.objectContaining({ userId: talker.userId, status: "GRANTED" })]);
    // ... and the listener now hears the talker's tone through the mixer.
    const atGrant = ear.heard.frames.length;
    await until(() => tone(atGrant) >= 25, "the talker's 440 Hz in the listener's mix", 5000);

    // FloorRelease -> Released; the tone is gone from the mix.
    const released = await p.request(body.floorRelease(frid));
    expect(statusOf(released)).toMatchObject({ floorRequestId: frid, status: Status.Released });
    const afterRelease = ear.heard.frames.length + 3; // a few frames already on their way
    await sleep(800);
    expect(ear.heard.frames.length - afterRelease).toBeGreaterThanOrEqual(20);
    expect(tone(afterRelease)).toBe(0);
    expect(await floorQueue(c.audioFloor)).toEqual([]);
    // The talker was told each state once: Pending (response), Granted (notification), Released (response).
    await sleep(200);
    expect(p.received.filter(isFrs).map((m) => [m.transactionId === 0 ? "notification" : "response", statusOf(m)?.status])).toEqual([
      ["response", Status.Pending],
      ["notification", Status.Granted],
      ["response", Status.Released],
    ]);

    // A second participant asks over BFCP; a chair on GraphQL grants and revokes: one floor state for both.
    const lAsked = await l.request(body.floorRequest({ floorId }));
    expect(statusOf(lAsked)).toMatchObject({ status: Status.Pending, queuePosition: 0 });
    const lFrid = statusOf(lAsked)!.floorRequestId;
    expect(lFrid).not.toBe(frid);
    const [queued] = await floorQueue(c.audioFloor);
    expect(queued).toMatchObject({ userId: listener.userId, status: "PENDING" });
    const lBefore = l.received.length;
    await t.admin.must(`mutation($id: ID!) { grantFloor(requestId: $id) { status } }`, { id: queued!.id });
    const lGranted = await l.waitFor(isFrs, 5000, lBefore);
    expect(lGranted.transactionId).toBe(0);
    expect(statusOf(lGranted)).toMatchObject({ floorRequestId: lFrid, status: Status.Granted });
    await ch.waitFor((m) => m.primitive === Primitive.FloorStatus && m.floorRequests.some((r) => r.floorRequestId === lFrid && r.overall?.requestStatus?.status === Status.Granted));
    await t.admin.must(`mutation($id: ID!) { revokeFloor(requestId: $id) { status } }`, { id: queued!.id });
    const lRevoked = await l.waitFor((m) => isFrs(m) && statusOf(m)?.status === Status.Revoked, 5000, lBefore);
    expect(statusOf(lRevoked)).toMatchObject({ floorRequestId: lFrid });
    // the chair's FloorStatus stream ends with an empty queue again
    await ch.waitFor((m) => m.primitive === Primitive.FloorStatus && m.transactionId === 0 && m.floorRequests.length === 0, 5000, chBefore);

    // Goodbye -> GoodbyeAck, and the server closes the TCP connection.
    const bye = await p.request(body.goodbye());
    expect(bye.primitive).toBe(Primitive.GoodbyeAck);
    await p.waitClosed();

    await hangUp(listener, talker, chair);
  } finally {
    ear.close();
  }
  await until(() => t.focus.sip!.service.callCount === 0, "every call to end");
}, 40_000);

// ---- b. errors ----

test("errors: unknown conference (1) and user (2), non-chair ChairAction (5), wrong address (5), unknown floor request (7), a second request (8), unknown primitive (3) and mandatory attribute (4), wrong version (12), garbage", async () => {
  const c = await conference("BFCP errors");
  const p = await call(c, { user: "erring" });
  const { conferenceId, userId, floorId } = p.ids;
  const s = await tcp(p.ids);
  const errorOf = async (m: Promise<Received>) => {
    const r = await m;
    expect(r.primitive).toBe(Primitive.Error);
    return r;
  };

  // The header must name a conference and a user of it (section 13); the Error echoes the header's IDs.
  const noConf = await errorOf(s.request(body.hello(), { ids: { conferenceId: 0x7fff_0001, userId } }));
  expect(noConf).toMatchObject({ errorCode: ErrorCode.ConferenceDoesNotExist, conferenceId: 0x7fff_0001, userId });
  const noUser = await errorOf(s.request(body.hello(), { ids: { conferenceId, userId: 0xfff1 } }));
  expect(noUser).toMatchObject({ errorCode: ErrorCode.UserDoesNotExist, conferenceId, userId: 0xfff1 });

  // Only chairs act as chairs (RFC 8855 leaves authorization to the server's policy: Unauthorized Operation).
  const own = await s.request(body.floorRequest({ floorId }));
  const ownFrid = statusOf(own)!.floorRequestId;
  expect(statusOf(own)?.status).toBe(Status.Pending);
  const notChair = await errorOf(s.request(body.chairAction({ floorRequestId: ownFrid, floorId, status: Status.Granted })));
  expect(notChair.errorCode).toBe(ErrorCode.UnauthorizedOperation);
  // nor request for someone else (BENEFICIARY-ID)
  const forOther = await errorOf(s.request(body.floorRequest({ floorId, beneficiaryId: userId + 1 })));
  expect(forOther.errorCode).toBe(ErrorCode.UnauthorizedOperation);
  // A second open request for the same floor: Maximum Number of Ongoing Floor Requests Reached.
  const again = await errorOf(s.request(body.floorRequest({ floorId })));
  expect(again.errorCode).toBe(ErrorCode.MaxFloorRequestsReached);
  // A Floor Request ID that names nothing.
  const noRequest = await errorOf(s.request(body.floorRelease(0x7777)));
  expect(noRequest.errorCode).toBe(ErrorCode.FloorRequestIdDoesNotExist);
  // A floor that does not exist (Invalid Floor ID).
  const noFloor = await errorOf(s.request(body.floorRequest({ floorId: 0x7777 })));
  expect(noFloor.errorCode).toBe(ErrorCode.InvalidFloorId);
  expect(await floorQueue(c.audioFloor)).toHaveLength(1);

  // A primitive a server does not receive (FloorStatus goes S -> P) and one RFC 8855 does not define: Unknown Primitive.
  for (const primitive of [Primitive.FloorStatus, 99]) {
    const tid = s.transactionId();
    s.sendRaw(message({ version: 1, primitive, transactionId: tid, conferenceId, userId }));
    const e = await s.waitFor((m) => m.transactionId === tid);
    expect(e).toMatchObject({ primitive: Primitive.Error, errorCode: ErrorCode.UnknownPrimitive });
  }

  // Section 5.2: an unknown attribute with the M bit set -> Error 4 listing its type; without M it is ignored.
  const unknownM = await errorOf(s.request({ primitive: Primitive.FloorQuery, attrs: [unsigned16(Attr.FLOOR_ID, floorId), attribute(100, Buffer.from([1, 2]), true)] }));
  expect(unknownM).toMatchObject({ errorCode: ErrorCode.UnknownMandatoryAttribute, unknownAttributes: [100] });
  const unknownOptional = await s.request({ primitive: Primitive.FloorQuery, attrs: [unsigned16(Attr.FLOOR_ID, floorId), attribute(100, Buffer.from([1, 2]), false)] });
  expect(unknownOptional).toMatchObject({ primitive: Primitive.FloorStatus, floorId });

  // The connection survived all of these; the participant releases its request.
  expect(statusOf(await s.request(body.floorRelease(ownFrid)))?.status).toBe(Status.Cancelled);

  // BFCP messages for this user must come from its call's address (RFC 8855 section 14; 127.0.0.2 is loopback too).
  const elsewhere = await tcp(p.ids, { localAddress: "127.0.0.2" });
  const wrongAddress = await errorOf(elsewhere.request(body.floorRequest({ floorId })));
  expect(wrongAddress.errorCode).toBe(ErrorCode.UnauthorizedOperation);
  expect(await floorQueue(c.audioFloor)).toEqual([]);

  // Section 5.1: Ver is 1 over TCP; another version -> Error 12 (Unsupported Version), sent with version 1. The
  // stream's framing is not to be trusted after it, so the server then closes the connection.
  const v2 = await tcp(p.ids);
  v2.sendRaw(message({ version: 2, primitive: Primitive.Hello, transactionId: 42, conferenceId, userId }));
  const unsupported = await v2.waitFor((m) => m.primitive === Primitive.Error);
  expect(unsupported).toMatchObject({ version: 1, errorCode: ErrorCode.UnsupportedVersion, transactionId: 42, conferenceId, userId });
  await v2.waitClosed();
  // Over UDP the version is 2; version 1 there is refused the same way (the Error is a response: R set).
  const u = await udp(p.ids);
  u.sendRaw(message({ version: 1, primitive: Primitive.Hello, transactionId: 43, conferenceId, userId }));
  const unsupportedUdp = await u.waitFor((m) => m.primitive === Primitive.Error);
  expect(unsupportedUdp).toMatchObject({ version: 2, responder: true, errorCode: ErrorCode.UnsupportedVersion, transactionId: 43 });

  // Garbage: the TCP connection is closed; a UDP datagram shorter than a COMMON-HEADER is dropped, a longer one
  // is read as a header (Ver 7 here) and refused with Error 12; the focus and its BFCP server carry on.
  const junk = await tcp(p.ids);
  junk.sendRaw(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n\xff\xfe\x00\x01garbage garbage garbage", "latin1"));
  await junk.waitClosed();
  const udpBefore = u.received.length;
  u.sendRaw(Buffer.from([0xff, 0x00, 0x13]));
  u.sendRaw(Buffer.alloc(40, 0xee));
  const refusedJunk = await u.waitFor(() => true, 5000, udpBefore);
  expect(refusedJunk).toMatchObject({ primitive: Primitive.Error, errorCode: ErrorCode.UnsupportedVersion, transactionId: 0xeeee });
  expect((await fetch(`${t.url}/healthz`)).ok).toBe(true);
  expect((await s.request(body.hello())).primitive).toBe(Primitive.HelloAck);
  expect((await u.request(body.hello())).primitive).toBe(Primitive.HelloAck);
  const fresh = await tcp(p.ids);
  expect((await fresh.request(body.hello())).primitive).toBe(Primitive.HelloAck);

  await hangUp(p);
}, 30_000);

// ---- c. UDP reliability ----

test("over UDP: a lost request is retransmitted, a retransmitted request is answered again but done once, and an unacknowledged notification is retransmitted until acked", async () => {
  const c = await conference("BFCP over UDP");
  const p = await call(c, { user: "udp-caller", proto: "UDP" });
  expect(p.ids).toMatchObject({ proto: "UDP", port: bfcpPort });
  const { floorId } = p.ids;
  const u = await udp(p.ids);

  // The first copy of Hello is lost: the client retransmits after T1 (500 ms) and gets its HelloAck (R set).
  u.loseNextSends(1);
  const t0 = Date.now();
  const hello = await u.request(body.hello());
  expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
  expect(hello).toMatchObject({ version: 2, responder: true, primitive: Primitive.HelloAck });

  // The FloorRequest's response is lost: the client retransmits the same datagram; the server answers again
  // from its cache (section 6.2) and creates exactly one request.
  u.loseNextResponses(1);
  const sentBefore = u.sent;
  const asked = await u.request(body.floorRequest({ floorId }));
  expect(u.sent - sentBefore).toBe(2);
  expect(u.dropped).toHaveLength(1);
  expect(asked.raw.equals(u.dropped[0]!.raw)).toBe(true); // the same answer, not a second execution
  expect(asked).toMatchObject({ version: 2, responder: true, primitive: Primitive.FloorRequestStatus });
  expect(statusOf(asked)).toMatchObject({ status: Status.Pending, queuePosition: 0 });
  const frid = statusOf(asked)!.floorRequestId;
  const queue = await floorQueue(c.audioFloor);
  expect(queue).toEqual([expect.objectContaining({ userId: p.userId, status: "PENDING" })]);
  const { events } = await t.admin.must(`query($id: ID!) { events(conferenceId: $id, limit: 1000) { type payload } }`, { id: c.id });
  const created = events.filter((e: { type: string; payload: { request?: { userId: string; status: string } } }) => e.type === "FLOOR_REQUEST_CHANGED" && e.payload.request?.userId === p.userId);
  expect(created.map((e: { payload: { request: { status: string } } }) => e.payload.request.status)).toEqual(["PENDING"]);

  // A chair grants it on GraphQL; the client does not acknowledge the notification at first: the server sends it
  // again after T1 (500 ms), the same datagram with the same (non-zero) Transaction ID.
  u.autoAck = false;
  const before = u.received.length;
  await t.admin.must(`mutation($id: ID!) { grantFloor(requestId: $id) { status } }`, { id: queue[0]!.id });
  const first = await u.waitFor(isFrs, 5000, before);
  const firstAt = Date.now();
  expect(first).toMatchObject({ version: 2, responder: false });
  expect(first.transactionId).not.toBe(0);
  expect(statusOf(first)).toMatchObject({ floorRequestId: frid, status: Status.Granted });
  const second = await u.waitFor((m) => isFrs(m) && m !== first, 3000, before);
  const gap = Date.now() - firstAt;
  expect(gap).toBeGreaterThanOrEqual(400);
  expect(gap).toBeLessThan(1000);
  expect(second.raw.equals(first.raw)).toBe(true);
  // Acknowledged (FloorRequestStatusAck, same Transaction ID, R set): no more copies (the next was due 1 s later).
  u.ack(second);
  await sleep(1600);
  expect(u.received.slice(before).filter(isFrs)).toHaveLength(2);

  // Back to acknowledging: release over UDP -> Released.
  u.autoAck = true;
  const released = await u.request(body.floorRelease(frid));
  expect(statusOf(released)).toMatchObject({ floorRequestId: frid, status: Status.Released });
  expect(await floorQueue(c.audioFloor)).toEqual([]);

  await hangUp(p);
}, 30_000);

// ---- d. who may ask, and in which order ----

test("a caller still entering its PIN has a BFCP identity but may not request the floor until it has joined", async () => {
  const c = await conference("BFCP and PIN", { joinHandling: "PIN", pin: "4321" });
  const ear = await rtpEar([440]);
  try {
    // no early media: the focus answers after its wait and prompts for the PIN in the call (the 200 carries the identity)
    const p = await call(c, { user: "pin-caller", audio: { listenPort: ear.port }, joins: false });
    const s = await tcp(p.ids);
    expect((await s.request(body.hello())).primitive).toBe(Primitive.HelloAck);
    const early = await s.request(body.floorRequest({ floorId: p.ids.floorId }));
    expect(early).toMatchObject({ primitive: Primitive.Error, errorCode: ErrorCode.UnauthorizedOperation });
    await until(() => ear.heard.focus !== null, "the PIN prompt");
    await pressKeys(ear.socket, ear.heard.focus!, "4321#");
    await joinedUser(c, p);
    const asked = await s.request(body.floorRequest({ floorId: p.ids.floorId }));
    expect(statusOf(asked)).toMatchObject({ status: Status.Pending, queuePosition: 0 });
    await hangUp(p);
  } finally {
    ear.close();
  }
}, 30_000);

test("a chair requests for a participant (BENEFICIARY-ID), who is told; PRIORITY orders the queue, absent meaning Normal; a chair denies", async () => {
  const c = await conference("BFCP queue", { users: [{ entity: "sip:chair2@127.0.0.1", displayName: "Chair", role: "MODERATOR" }] });
  const [chair, a, b] = await Promise.all([call(c, { user: "chair2" }), call(c, { user: "alice" }), call(c, { user: "bob" })]);
  const floorId = a.ids.floorId;
  const [ch, sa, sb] = await Promise.all([tcp(chair.ids), tcp(a.ids), tcp(b.ids)]);
  await sa.request(body.hello()); // binds alice's connection to her, so that she is told about her requests

  // The chair asks for alice (no PRIORITY: Normal, RFC 8855 section 5.2.4).
  const forAlice = await ch.request(body.floorRequest({ floorId, beneficiaryId: a.ids.userId }));
  expect(statusOf(forAlice)).toMatchObject({ status: Status.Pending, queuePosition: 0 });
  expect(forAlice.floorRequests[0]).toMatchObject({ beneficiaryId: a.ids.userId, priority: 2 });
  const aliceFrid = statusOf(forAlice)!.floorRequestId;
  const told = await sa.waitFor(isFrs);
  expect(told.transactionId).toBe(0);
  expect(statusOf(told)).toMatchObject({ floorRequestId: aliceFrid, status: Status.Pending });

  // bob asks with PRIORITY Low: behind alice's Normal request.
  const bobs = await sb.request(body.floorRequest({ floorId, priority: 1 }));
  expect(statusOf(bobs)).toMatchObject({ status: Status.Pending, queuePosition: 0 });
  expect(bobs.floorRequests[0]).toMatchObject({ beneficiaryId: b.ids.userId, priority: 1 });
  expect((await floorQueue(c.audioFloor)).map((r) => r.userId)).toEqual([a.userId, b.userId]);

  // FloorRequestQuery (section 5.3.3): alice may ask about her request, bob may not; UserQuery (5.3.5) lists hers.
  expect(statusOf(await sa.request(body.floorRequestQuery(aliceFrid)))).toMatchObject({ floorRequestId: aliceFrid, status: Status.Pending, queuePosition: 0 });
  expect(await sb.request(body.floorRequestQuery(aliceFrid))).toMatchObject({ primitive: Primitive.Error, errorCode: ErrorCode.UnauthorizedOperation });
  const userStatus = await sa.request({ primitive: Primitive.UserQuery, attrs: [] });
  expect(userStatus.primitive).toBe(Primitive.UserStatus);
  expect(userStatus.floorRequests.map((r) => r.floorRequestId)).toEqual([aliceFrid]);

  // The chair denies bob's request: ChairActionAck, and bob is told Denied.
  const bobFrid = statusOf(bobs)!.floorRequestId;
  const before = sb.received.length;
  expect((await ch.request(body.chairAction({ floorRequestId: bobFrid, floorId, status: Status.Denied }))).primitive).toBe(Primitive.ChairActionAck);
  expect(statusOf(await sb.waitFor(isFrs, 5000, before))).toMatchObject({ floorRequestId: bobFrid, status: Status.Denied });
  // alice's is granted; a grant the floor has no room for (one holder at most) is refused: RFC 8855 has no
  // dedicated code for it, the server says Generic Error (14). A revoke frees the floor.
  expect((await ch.request(body.chairAction({ floorRequestId: aliceFrid, floorId, status: Status.Granted }))).primitive).toBe(Primitive.ChairActionAck);
  const bobAgain = await ch.request(body.floorRequest({ floorId, beneficiaryId: b.ids.userId, priority: 4 }));
  expect(statusOf(bobAgain)).toMatchObject({ status: Status.Pending, queuePosition: 0 });
  const full = await ch.request(body.chairAction({ floorRequestId: statusOf(bobAgain)!.floorRequestId, floorId, status: Status.Granted }));
  expect(full).toMatchObject({ primitive: Primitive.Error, errorCode: ErrorCode.GenericError });
  expect((await ch.request(body.chairAction({ floorRequestId: aliceFrid, floorId, status: Status.Revoked }))).primitive).toBe(Primitive.ChairActionAck);
  expect((await ch.request(body.floorRelease(statusOf(bobAgain)!.floorRequestId))).primitive).toBe(Primitive.FloorRequestStatus);
  expect(sa.received.filter(isFrs).map((m) => statusOf(m)?.status)).toEqual(expect.arrayContaining([Status.Pending, Status.Granted]));
  await sa.waitFor((m) => isFrs(m) && statusOf(m)?.status === Status.Revoked);
  expect(await floorQueue(c.audioFloor)).toEqual([]);

  // The calls end: their BFCP connections are closed by the server, and their identities are gone (Error 2).
  await hangUp(chair, a, b);
  await Promise.all([ch.waitClosed(), sa.waitClosed(), sb.waitClosed()]);
  const late = await tcp(a.ids);
  expect(await late.request(body.hello())).toMatchObject({ primitive: Primitive.Error, errorCode: ErrorCode.UserDoesNotExist });
}, 30_000);

test("a FCFS floor grants at once: the requester is told Granted, and never Pending after it", async () => {
  const { createConference: c } = await t.admin.must(
    `mutation($input: ConferenceInput!) { createConference(input: $input) { id dialInCode } }`,
    { input: { subject: "FCFS", floors: [{ label: "audio", policy: "FCFS", maxHolders: 1 }] } },
  );
  const a = await call(c, { user: "fcfs" });
  const s = await tcp(a.ids);
  await s.request(body.hello());
  expect(statusOf(await s.request(body.floorRequest({ floorId: a.ids.floorId })))).toMatchObject({ status: Status.Granted });
  await sleep(500); // the request's two events (created Pending, granted) have been fanned out by now
  expect(s.received.filter(isFrs).map((m) => statusOf(m)?.status)).toEqual([Status.Granted]);
  expect((await floorQueue((await t.admin.must(`query($id: ID!) { conference(id: $id) { floors { id } } }`, { id: c.id })).conference.floors[0].id)).map((r) => r.status)).toEqual(["GRANTED"]);
  await hangUp(a);
});
