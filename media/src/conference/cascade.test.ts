// Unit tests of the cascade legs (a replica's call to its home focus) with a fake domain, a fake mixer and
// an endpoint over a fake transport: what is dialled, when, and what happens when the home hangs up,
// forgets the call, refuses it, or the conference ends.
import { EventBus, type ConferenceDomain, type ConferenceEvent, type ConferenceSummary } from "@dcon/core";
import { createResponse, parseMessage, type SipRequest } from "../sip/index.ts";
import type { ResponseHandle, SipEndpoint } from "../sip/endpoint.ts";
import { uasDialogKeyOf } from "../sip/dialog.ts";
import { FakeTransport, fakeEndpoint } from "../sip/fake-transport.ts";
import type { Peer } from "../sip/transport.ts";
import { answerOffer } from "../sdp/index.ts";
import { CascadeLegs, retryable, type CascadeHost } from "./cascade.ts";

const HOME: Peer = { transport: "udp", address: "127.0.0.1", port: 5070 };
const ID = "conf-1";
const quiet = { info: () => {}, warn: () => {}, debug: () => {} };

function summary(patch: Partial<ConferenceSummary> = {}): ConferenceSummary {
  return {
    id: ID, parentId: null, sidebarKind: null, blueprintId: null, subject: "S", description: "", uri: `xcon:${ID}@island-a.example`,
    dialInCode: "999999", maxUsers: 50, status: "ACTIVE", locked: false, floorControlled: false, joinHandling: "ALLOW", hasPin: false,
    startAt: new Date().toISOString(), durationMin: 60, rrule: null, timezone: "UTC", homeIsland: "island-a.example",
    createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(), ...patch,
  };
}

/** The replica on island B as the legs read it; its home's log says the home's dial-in code is 111111. */
class FakeDomain {
  readonly island = "island-b.example";
  readonly bus = new EventBus();
  conference: ConferenceSummary | null = summary();
  islands = ["island-a.example", "island-b.example"];
  readonly conferences = { get: async (_id: string) => { if (!this.conference) throw new Error("not found"); return this.conference; } };
  readonly federation = {
    islandsOf: async (_id: string) => this.islands,
    distributed: async () => (this.conference ? [{ conferenceId: ID, peers: ["island-a.example"] }] : []),
  };
  readonly store = {
    eventsAfter: async (_id: string, origin: string, after: number) =>
      origin === "island-a.example" && after === 0 ? [{ seq: 1, type: "CONFERENCE_CREATED", payload: { conference: summary({ dialInCode: "111111" }) } }] : [],
  };
  publish(type: "CONFERENCE_ENDED" | "CONFERENCE_LINKED", patch: Partial<ConferenceSummary> = {}): void {
    const conference = summary({ dialInCode: "111111", ...patch });
    const payload = type === "CONFERENCE_ENDED"
      ? { conference, final: conference.status === "ENDED", reason: "moderator" as const }
      : { conference, island: this.island, islands: this.islands, floors: [] };
    this.bus.publish({ conferenceId: ID, origin: "island-a.example", seq: 9, type, payload, at: new Date(), actor: null } as ConferenceEvent);
  }
}

class FakeHost implements CascadeHost {
  readonly handlers = new Map<string, (req: SipRequest, res: ResponseHandle) => void>();
  readonly log: string[] = [];
  registerDialog(key: string, handler: (req: SipRequest, res: ResponseHandle) => void): () => void {
    this.handlers.set(key, handler);
    return () => this.handlers.delete(key);
  }
  readonly mixer = {
    open: (legId: string) => void this.log.push(`open ${legId}`),
    mix: (legId: string, conferenceId: string, opts: { muted: boolean }) => void this.log.push(`mix ${legId} ${conferenceId} muted=${opts.muted}`),
    close: (legId: string) => void this.log.push(`close ${legId}`),
  };
}

let transport: FakeTransport;
let endpoint: SipEndpoint;
let domain: FakeDomain;
let host: FakeHost;
let legs: CascadeLegs;

beforeEach(() => {
  transport = new FakeTransport();
  endpoint = fakeEndpoint(transport);
  domain = new FakeDomain();
  host = new FakeHost();
  // what ConferenceSipService does with in-dialog requests of registered dialogs
  endpoint.on("request", (req, res) => host.handlers.get(uasDialogKeyOf(req))?.(req, res));
  legs = new CascadeLegs({
    sip: host, endpoint, domain: domain as unknown as ConferenceDomain,
    homeFocus: (island) => (island === "island-a.example" ? HOME : null),
    advertisedHost: "127.0.0.1", rtpHost: "127.0.0.1", rtpPorts: { min: 41000, max: 41999 }, log: quiet,
    retry: { firstMs: 20, maxMs: 200 }, keepaliveMs: 60_000,
  });
});
afterEach(async () => {
  await legs.close(100);
  await endpoint.close();
});

async function until(what: string, pred: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Waits for the n-th INVITE and answers it (200 with an SDP answer, or `status`). */
async function answerInvite(n: number, status = 200): Promise<SipRequest> {
  await until(`INVITE #${n}`, () => transport.requests("INVITE").length >= n);
  const req = transport.requests("INVITE")[n - 1]!.msg;
  if (status !== 200) {
    transport.deliver(HOME, createResponse(req, status, undefined, { toTag: `t${n}` }));
    return req;
  }
  const answer = answerOffer(req.body.toString(), { address: "127.0.0.1", audioPort: 30000 }, { id: "1", version: 1 });
  transport.deliver(HOME, createResponse(req, 200, "OK", { toTag: `t${n}`, headers: [["Contact", "<sip:focus@127.0.0.1:5070>"]], body: Buffer.from(answer.sdp), contentType: "application/sdp" }));
  return req;
}

/** A request from the home inside the dialog the n-th INVITE made. */
function fromHome(invite: SipRequest, n: number, method: string, cseq: number): SipRequest {
  return parseMessage(Buffer.from([
    `${method} sip:focus@127.0.0.1:5062 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK${method}${n}${cseq}`,
    `From: <sip:111111@127.0.0.1:5070>;tag=t${n}`,
    `To: ${invite.headers.get("From")}`,
    `Call-ID: ${invite.headers.get("Call-ID")}`,
    `CSeq: ${cseq} ${method}`,
    "Max-Forwards: 70", "Content-Length: 0", "", "",
  ].join("\r\n"))) as SipRequest;
}

test("at start, a linked replica's leg dials the home's code as sip:focus@<island>, joins the mix unmuted, and is hung up when the conference ends", async () => {
  await legs.start();
  const invite = await answerInvite(1);
  expect(invite.uri).toBe("sip:111111@127.0.0.1:5070"); // the home's code (from its log), not the replica's 999999
  expect(invite.headers.get("From")).toMatch(/^"island-b.example" <sip:focus@island-b.example>;tag=/);
  await until("the leg up", () => legs.phase(ID) === "up");
  const key = [...host.handlers.keys()][0]!;
  expect(host.log).toEqual([`open ${key}`, `mix ${key} ${ID} muted=false`]);

  domain.conference = summary({ status: "ENDED" });
  domain.publish("CONFERENCE_ENDED", { status: "ENDED" });
  await until("our BYE", () => transport.requests("BYE").length === 1);
  const bye = transport.requests("BYE")[0]!.msg;
  expect(host.handlers.size).toBe(0); // out of the mix and unrouted at once
  expect(host.log.at(-1)).toBe(`close ${key}`);
  transport.deliver(HOME, createResponse(bye, 200));
  await until("the leg gone", () => legs.phase(ID) === "none");
  await new Promise((r) => setTimeout(r, 60));
  expect(transport.requests("INVITE")).toHaveLength(1); // no retry after the end
});

test("the home hangs up: 200 to its BYE, the leg leaves the mix, and is placed again after the backoff", async () => {
  await legs.start();
  const invite = await answerInvite(1);
  await until("the leg up", () => legs.phase(ID) === "up");
  transport.deliver(HOME, fromHome(invite, 1, "BYE", 1));
  await until("out of the mix", () => host.log.some((l) => l.startsWith("close ")));
  expect(transport.responses().map((r) => r.status)).toEqual([200]);
  await answerInvite(2);
  await until("up again", () => legs.phase(ID) === "up" && host.handlers.size === 1);
});

test("a keepalive OPTIONS answered 481 (the home forgot the call) drops the leg and places it again", async () => {
  await legs.close();
  legs = new CascadeLegs({
    sip: host, endpoint, domain: domain as unknown as ConferenceDomain, homeFocus: () => HOME,
    advertisedHost: "127.0.0.1", rtpHost: "127.0.0.1", rtpPorts: { min: 41000, max: 41999 }, log: quiet,
    retry: { firstMs: 20, maxMs: 200 }, keepaliveMs: 50,
  });
  await legs.start();
  await answerInvite(1);
  await until("OPTIONS", () => transport.requests("OPTIONS").length === 1);
  transport.deliver(HOME, createResponse(transport.requests("OPTIONS")[0]!.msg, 481));
  await until("out of the mix", () => host.log.some((l) => l.startsWith("close ")) && host.handlers.size === 0);
  expect(transport.requests("BYE")).toHaveLength(0); // nothing to hang up: the home has no such call
  await answerInvite(2);
  await until("up again", () => legs.phase(ID) === "up");
});

test("refusals are retried with a growing delay; the end of the conference stops the retries", async () => {
  await legs.start();
  const at: number[] = [];
  for (let n = 1; n <= 4; n++) {
    await answerInvite(n, 480);
    at.push(Date.now());
  }
  expect(legs.failures(ID)).toBeGreaterThanOrEqual(3);
  const gaps = at.slice(1).map((t, i) => t - at[i]!);
  expect(gaps[2]!).toBeGreaterThan(gaps[0]!); // 20, 40, 80 ms
  domain.conference = summary({ status: "ENDED" });
  domain.publish("CONFERENCE_ENDED", { status: "ENDED" });
  await new Promise((r) => setTimeout(r, 300));
  expect(transport.requests("INVITE").length).toBeLessThanOrEqual(5);
  const count = transport.requests("INVITE").length;
  await new Promise((r) => setTimeout(r, 250));
  expect(transport.requests("INVITE")).toHaveLength(count);
  expect(legs.phase(ID)).toBe("none");
});

test("no leg for a conference homed here, one not linked to this island, or a home without a SIP address", async () => {
  domain.conference = summary({ homeIsland: "island-b.example" });
  domain.publish("CONFERENCE_LINKED", { homeIsland: "island-b.example" });
  await legs.start();
  domain.conference = summary();
  domain.islands = ["island-a.example", "island-c.example"];
  domain.publish("CONFERENCE_LINKED");
  domain.conference = summary({ homeIsland: "island-z.example" });
  domain.islands = ["island-z.example", "island-b.example"];
  domain.publish("CONFERENCE_LINKED", { homeIsland: "island-z.example" });
  await new Promise((r) => setTimeout(r, 100));
  expect(transport.requests("INVITE")).toHaveLength(0);
  expect(legs.phase(ID)).toBe("none");
});

test("a refusal that will not change by itself (404) is not retried; the conference's next change places the leg again", async () => {
  expect([408, 480, 486, 500, 503].every(retryable)).toBe(true);
  expect([403, 404, 488, 603].some(retryable)).toBe(false);
  await legs.start();
  await answerInvite(1, 404);
  await new Promise((r) => setTimeout(r, 150)); // several backoff periods
  expect(transport.requests("INVITE")).toHaveLength(1);
  domain.publish("CONFERENCE_LINKED");
  await answerInvite(2);
  await until("the leg up", () => legs.phase(ID) === "up");
});
