import type { ConferenceEvent } from "@dcon/core";
import { decodeWire, encodeWire, eventToWire, FEDERATION_NS, signEvent, verifyEvent, WireError, wireToEvent, type WireMessage } from "./wire.ts";
import { El, xml } from "./test-xml.ts";


const CONF = "0b5f3b4e-8a43-4c1a-9d0e-2b7c7f0e9a11";
const SECRET = "island-a/island-b shared secret";
const event: ConferenceEvent = {
  conferenceId: CONF, origin: "island-a.test", seq: 7, type: "USER_MUTED", at: new Date("2026-11-25T10:00:00.000Z"),
  actor: { kind: "user", id: "u1" },
  payload: { user: { id: "u1", conferenceId: CONF, entity: "sip:alice@island-a.test", displayName: "Alice <&>", email: null, role: "PARTICIPANT", hasPin: false, joinState: "CONNECTED", via: "sip", island: "island-a.test", muted: true, talking: false } },
};

test("an event survives encode, decode and verification unchanged", () => {
  const wire = eventToWire(event, SECRET);
  const el = encodeWire(wire, xml);
  expect(el).toMatchObject({ name: "event", attrs: { xmlns: FEDERATION_NS, origin: "island-a.test", conference: CONF, seq: "7" } });
  const back = decodeWire(el);
  expect(back).toEqual(wire);
  expect(verifyEvent(SECRET, back as Extract<WireMessage, { kind: "event" }>)).toBe(true);
  expect(wireToEvent(back as Extract<WireMessage, { kind: "event" }>)).toEqual(event);
});

test("acks and replay requests round-trip", () => {
  for (const m of [{ kind: "ack", origin: "island-b.test", conference: CONF, seq: 1000 }, { kind: "replay", origin: "island-a.test", conference: CONF, since: 0 }] as WireMessage[]) {
    expect(decodeWire(encodeWire(m, xml))).toEqual(m);
  }
});

test("a signature under another secret, or over changed fields, does not verify", () => {
  const wire = eventToWire(event, SECRET);
  expect(verifyEvent("another secret", wire)).toBe(false);
  expect(verifyEvent(SECRET, { ...wire, seq: 8 })).toBe(false);
  expect(verifyEvent(SECRET, { ...wire, origin: "island-c.test" })).toBe(false);
  expect(verifyEvent(SECRET, { ...wire, body: wire.body.replace('"muted":true', '"muted":false') })).toBe(false);
  // the fields are framed: moving characters between them changes the MAC
  expect(signEvent(SECRET, "a.test", CONF, 1, "x")).not.toBe(signEvent(SECRET, "a.tes", CONF, 1, "tx"));
});

test.each([
  ["another namespace", new El("event", { xmlns: "jabber:client", origin: "a.test", conference: CONF, seq: "1", sig: "A".repeat(43) + "=" }), "UNKNOWN_ELEMENT"],
  ["an unknown element", new El("hello", { xmlns: FEDERATION_NS, origin: "a.test", conference: CONF }), "UNKNOWN_ELEMENT"],
  ["no origin", new El("ack", { xmlns: FEDERATION_NS, conference: CONF, seq: "1" }), "BAD_ATTRIBUTE"],
  ["an origin that is no domain", new El("ack", { xmlns: FEDERATION_NS, origin: "a b", conference: CONF, seq: "1" }), "BAD_ATTRIBUTE"],
  ["a conference that is no UUID", new El("ack", { xmlns: FEDERATION_NS, origin: "a.test", conference: "1; DROP", seq: "1" }), "BAD_ATTRIBUTE"],
  ["seq 0", new El("ack", { xmlns: FEDERATION_NS, origin: "a.test", conference: CONF, seq: "0" }), "BAD_ATTRIBUTE"],
  ["a negative seq", new El("ack", { xmlns: FEDERATION_NS, origin: "a.test", conference: CONF, seq: "-1" }), "BAD_ATTRIBUTE"],
  ["a huge seq", new El("ack", { xmlns: FEDERATION_NS, origin: "a.test", conference: CONF, seq: "9".repeat(20) }), "BAD_ATTRIBUTE"],
  ["no signature", new El("event", { xmlns: FEDERATION_NS, origin: "a.test", conference: CONF, seq: "1" }, ["{}"]), "BAD_ATTRIBUTE"],
  ["child elements in an event", new El("event", { xmlns: FEDERATION_NS, origin: "a.test", conference: CONF, seq: "1", sig: "A".repeat(43) + "=" }, [new El("x", {})]), "BAD_BODY"],
  ["an oversized body", new El("event", { xmlns: FEDERATION_NS, origin: "a.test", conference: CONF, seq: "1", sig: "A".repeat(43) + "=" }, ["x".repeat(70_000)]), "TOO_LARGE"],
])("refuses %s", (_what, el, code) => {
  expect(() => decodeWire(el)).toThrow(expect.objectContaining({ name: "WireError", code }));
});

test.each([
  ["not JSON", "{"],
  ["an unknown event type", JSON.stringify({ type: "USER_EXPLODED", at: "2026-11-25T10:00:00.000Z", actor: null, payload: {} })],
  ["a bad date", JSON.stringify({ type: "USER_MUTED", at: "yesterday", actor: null, payload: {} })],
  ["extra fields", JSON.stringify({ type: "USER_MUTED", at: "2026-11-25T10:00:00.000Z", actor: null, payload: {}, admin: true })],
  ["a payload that is no object", JSON.stringify({ type: "USER_MUTED", at: "2026-11-25T10:00:00.000Z", actor: null, payload: [] })],
])("a body with %s is refused", (_what, body) => {
  expect(() => wireToEvent({ kind: "event", origin: "a.test", conference: CONF, seq: 1, body, sig: signEvent(SECRET, "a.test", CONF, 1, body) })).toThrow(WireError);
});

test("forwarded commands and their answers round-trip, signed over kind, origin, id and body", async () => {
  const { signCall, verifyCall } = await import("./wire.ts");
  const body = JSON.stringify({ command: { op: "setLocked", conferenceId: CONF, locked: true }, actor: null });
  const req: WireMessage = { kind: "request", origin: "island-b.test", id: "abcdefgh1234", body, sig: signCall(SECRET, "request", "island-b.test", "abcdefgh1234", body) };
  const back = decodeWire(encodeWire(req, xml));
  expect(back).toEqual(req);
  expect(verifyCall(SECRET, back as Extract<WireMessage, { kind: "request" }>)).toBe(true);
  // a response cannot be replayed as a request, nor an answer moved to another call
  expect(verifyCall(SECRET, { ...(back as Extract<WireMessage, { kind: "request" }>), kind: "response" } as never)).toBe(false);
  expect(verifyCall(SECRET, { ...(back as Extract<WireMessage, { kind: "request" }>), id: "abcdefgh9999" })).toBe(false);
  expect(() => decodeWire(new El("request", { xmlns: FEDERATION_NS, origin: "a.test", id: "short", sig: "A".repeat(43) + "=" }, ["{}"]))).toThrow(WireError);
});
