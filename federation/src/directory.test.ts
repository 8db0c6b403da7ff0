// Unit tests of the peer island entries of FEDERATION_PEERS (the island directory's schema).
import { PeerIslandSchema } from "./directory.ts";

const peer = { island: "island-a.example", component: "focus.island-a.example", secret: "a secret of sixteen+" };

test("a peer may name where its focus takes SIP calls, as host:port", () => {
  expect(PeerIslandSchema.parse({ ...peer, sip: "192.0.2.1:5060" }).sip).toBe("192.0.2.1:5060");
  expect(PeerIslandSchema.parse({ ...peer, sip: "focus.island-a.example:5080" }).sip).toBe("focus.island-a.example:5080");
  expect(PeerIslandSchema.parse(peer).sip).toBeUndefined();
});

test.each(["192.0.2.1", "192.0.2.1:", ":5060", "192.0.2.1:50x0", "[2001:db8::1]:5060"])("a SIP address %p is refused", (sip) => {
  expect(PeerIslandSchema.safeParse({ ...peer, sip }).success).toBe(false);
});
