// Unit tests of the transaction state machines (RFC 3261 section 17, RFC 6026) with fake timers.
import { jest } from "@jest/globals";
import { parseMessage, createResponse, type SipMessage, type SipRequest } from "./index.ts";
import { InviteClientTransaction, InviteServerTransaction, NonInviteClientTransaction, NonInviteServerTransaction, TransactionTimeout } from "./transaction.ts";
import type { Peer } from "./transport.ts";

const T = { T1: 500, T2: 4000, T4: 5000 };
const UDP: Peer = { transport: "udp", address: "127.0.0.1", port: 5090 };
const TCP: Peer = { transport: "tcp", address: "127.0.0.1", port: 5090 };

function request(method: string): SipRequest {
  const text = [
    `${method} sip:123@127.0.0.1:5060 SIP/2.0`,
    "Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-test-1;rport",
    "From: <sip:a@127.0.0.1>;tag=abc",
    "To: <sip:123@127.0.0.1>",
    "Call-ID: tx-test",
    `CSeq: 1 ${method}`,
    "Max-Forwards: 70",
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
  return parseMessage(Buffer.from(text)) as SipRequest;
}

function recorder() {
  const sent: SipMessage[] = [];
  return { sent, send: (m: SipMessage) => void sent.push(m), statuses: () => sent.map((m) => (m.kind === "response" ? m.status : m.method)) };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe("INVITE server transaction (RFC 3261 figure 7, RFC 6026)", () => {
  it("sends 100 Trying when the TU is silent for 200 ms", () => {
    const r = recorder();
    const invite = request("INVITE");
    new InviteServerTransaction({ request: invite, responseTo: UDP, send: r.send, timers: T, onTerminated: () => {}, autoTrying: (req) => createResponse(req, 100) });
    jest.advanceTimersByTime(199);
    expect(r.statuses()).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(r.statuses()).toEqual([100]);
  });

  it("retransmits a non-2xx final on Timer G (T1 doubling to T2) until the ACK, then absorbs for T4", () => {
    const r = recorder();
    const terminated = jest.fn();
    const invite = request("INVITE");
    const tx = new InviteServerTransaction({ request: invite, responseTo: UDP, send: r.send, timers: T, onTerminated: terminated });
    tx.respond(createResponse(invite, 486, undefined, { toTag: "x" }));
    expect(tx.state).toBe("completed");
    jest.advanceTimersByTime(500 + 1000 + 2000); // G at 500, 1500, 3500
    expect(r.statuses()).toEqual([486, 486, 486, 486]);
    tx.retransmission(); // a retransmitted INVITE gets the final again
    expect(r.statuses()).toHaveLength(5);
    tx.ack();
    expect(tx.state).toBe("confirmed");
    jest.advanceTimersByTime(10_000);
    expect(r.statuses()).toHaveLength(5);
    expect(tx.state).toBe("terminated");
    expect(terminated).toHaveBeenCalledTimes(1);
    expect(tx.pendingTimers).toBe(0);
  });

  it("Timer H ends a transaction whose ACK never came and reports it", () => {
    const r = recorder();
    const onAckTimeout = jest.fn();
    const invite = request("INVITE");
    const tx = new InviteServerTransaction({ request: invite, responseTo: UDP, send: r.send, timers: T, onTerminated: () => {}, onAckTimeout });
    tx.respond(createResponse(invite, 404, undefined, { toTag: "x" }));
    jest.advanceTimersByTime(64 * 500);
    expect(onAckTimeout).toHaveBeenCalledTimes(1);
    expect(tx.state).toBe("terminated");
  });

  it("a 2xx moves to Accepted (RFC 6026): no retransmission by the transaction, TU 2xx pass, Timer L ends it", () => {
    const r = recorder();
    const invite = request("INVITE");
    const tx = new InviteServerTransaction({ request: invite, responseTo: UDP, send: r.send, timers: T, onTerminated: () => {} });
    const ok = createResponse(invite, 200, undefined, { toTag: "x" });
    tx.respond(ok);
    expect(tx.state).toBe("accepted");
    jest.advanceTimersByTime(5000);
    expect(r.statuses()).toEqual([200]);
    tx.respond(ok); // the TU's retransmission
    expect(r.statuses()).toEqual([200, 200]);
    jest.advanceTimersByTime(64 * 500);
    expect(tx.state).toBe("terminated");
  });

  it("over TCP there is no Timer G and the ACK ends it at once", () => {
    const r = recorder();
    const invite = request("INVITE");
    const tx = new InviteServerTransaction({ request: invite, responseTo: TCP, send: r.send, timers: T, onTerminated: () => {} });
    tx.respond(createResponse(invite, 486, undefined, { toTag: "x" }));
    jest.advanceTimersByTime(10_000);
    expect(r.statuses()).toEqual([486]);
    tx.ack();
    jest.advanceTimersByTime(0);
    expect(tx.state).toBe("terminated");
  });
});

describe("non-INVITE server transaction (RFC 3261 figure 8)", () => {
  it("answers retransmissions with the last response and lives Timer J (64*T1) over UDP", () => {
    const r = recorder();
    const req = request("OPTIONS");
    const tx = new NonInviteServerTransaction({ request: req, responseTo: UDP, send: r.send, timers: T, onTerminated: () => {} });
    tx.retransmission(); // nothing to resend yet (Trying)
    tx.respond(createResponse(req, 200));
    tx.retransmission();
    expect(r.statuses()).toEqual([200, 200]);
    tx.respond(createResponse(req, 500)); // a second final is ignored
    expect(r.statuses()).toEqual([200, 200]);
    jest.advanceTimersByTime(64 * 500 - 1);
    expect(tx.state).toBe("completed");
    jest.advanceTimersByTime(1);
    expect(tx.state).toBe("terminated");
  });
});

describe("client transactions (RFC 3261 figures 5 and 6)", () => {
  it("non-INVITE: Timer E retransmits (T1 doubling, capped at T2), Timer F times out with 408", async () => {
    const r = recorder();
    const tx = new NonInviteClientTransaction({ request: request("BYE"), to: UDP, send: r.send, timers: T, onTerminated: () => {} });
    jest.advanceTimersByTime(500 + 1000 + 2000 + 4000 + 4000);
    expect(r.statuses()).toEqual(["BYE", "BYE", "BYE", "BYE", "BYE", "BYE"]);
    jest.advanceTimersByTime(64 * 500);
    await expect(tx.final).rejects.toBeInstanceOf(TransactionTimeout);
    expect(tx.state).toBe("terminated");
  });

  it("non-INVITE: a final response resolves, stops retransmission, and Timer K absorbs repeats", async () => {
    const r = recorder();
    const bye = request("BYE");
    const tx = new NonInviteClientTransaction({ request: bye, to: UDP, send: r.send, timers: T, onTerminated: () => {} });
    tx.receive(createResponse(bye, 200));
    await expect(tx.final).resolves.toMatchObject({ status: 200 });
    jest.advanceTimersByTime(5000);
    expect(r.statuses()).toEqual(["BYE"]);
    expect(tx.state).toBe("terminated");
  });

  it("INVITE: a non-2xx final is ACKed by the transaction, and again for each retransmission", async () => {
    const r = recorder();
    const invite = request("INVITE");
    const ack = request("ACK");
    const tx = new InviteClientTransaction({ request: invite, to: UDP, send: r.send, timers: T, onTerminated: () => {}, ackFor: () => ack });
    jest.advanceTimersByTime(500); // Timer A once
    const busy = createResponse(invite, 486, undefined, { toTag: "y" });
    tx.receive(busy);
    tx.receive(busy);
    await expect(tx.final).resolves.toMatchObject({ status: 486 });
    expect(r.statuses()).toEqual(["INVITE", "INVITE", "ACK", "ACK"]);
    jest.advanceTimersByTime(64 * 500);
    expect(tx.state).toBe("terminated");
  });
});
