// Peer: sipp (Debian sip-tester) calling in and keying PINs by RFC 4733 DTMF, a raw UDP SIP peer as a federated island's focus, the focus as a child process over HTTP/WebSocket
/**
 * No secret reaches the log, end to end: a real focus process at LOG_LEVEL=trace, all of its stdout and
 * stderr captured from start to a clean stop, driven through every path that carries a secret —
 * conference and per-user PINs set over GraphQL and keyed by SIP callers as DTMF (wrong ones too), bearer
 * tokens in Authorization headers and graphql-ws connection parameters, sign-in and account passwords,
 * malformed and oversized requests holding them, the federation secrets from the configuration (the XMPP
 * component secret and a peer island's secret) and a cascade leg's X-Dcon-Island header signed with it.
 *
 * The one secret printed on purpose is the bootstrap admin token: on a first start without ADMIN_TOKEN it
 * is shown once on stdout for the operator (the store keeps only its hash). The test allows exactly that
 * one occurrence, in that block, and nothing else.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import type { Client } from "graphql-ws";
import { cascadeHeaderValue } from "@dcon/federation";
import { freePort, freeUdpPort } from "./support/net.ts";
import { HttpClient, freshDatabaseUrl, spawnFocus, wsClient } from "./support/focus.ts";
import { RawUdpPeer, sipBytes } from "../../media/test/support/raw-peer.ts";
import { pressKeys, rtpEar, sendSilence, until, type RtpEar } from "../../media/test/support/rtp.ts";
import { expectSippOk, fillScenario, sipp } from "../../media/test/support/sipp.ts";
import type { SipResponse } from "../../media/src/sip/message.ts";

// 10-digit PINs: long enough that none turns up by chance inside a timestamp or an id of the log
const CONFERENCE_PIN = "4815162342";
const USER_PIN = "2718281828";
const WRONG_PINS = ["1123581321", "3141592653"];
const CHANGED_PIN = "1618033988";
const PASSWORDS = { first: "pw-31415926535", wrong: "pw-27182818284", changed: "pw-16180339887" };
const COMPONENT_SECRET = `xmpp-component-${randomBytes(12).toString("hex")}`;
const PEER_SECRET = `peer-island-${randomBytes(12).toString("hex")}`;

/** The first thing a subscription yields (data or an error). */
function firstOf(client: Client, query: string, variables: Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("nothing arrived on the WebSocket in 5 s")), 5000);
    const stop = client.subscribe({ query, variables }, {
      next: (r) => {
        clearTimeout(timer);
        stop();
        resolve(r);
      },
      error: (e) => {
        clearTimeout(timer);
        // a refused connection is a CloseEvent: its code says why
        reject(e instanceof Error ? e : new Error(`closed ${(e as { code?: unknown }).code ?? JSON.stringify(e)}`));
      },
      complete: () => undefined,
    });
  });
}

/** One sipp caller who hears the prompt (early media), keys each entry by DTMF and is answered after the last. */
async function callWithPins(sipPort: number, dialInCode: string, entries: string[]): Promise<void> {
  const ear: RtpEar = await rtpEar([425, 480, 620]);
  try {
    const progress = `<recv response="183"><action><ereg regexp="m=audio [1-9][0-9]* RTP/AVP 0" search_in="body" check_it="true" assign_to="sdp"/></action></recv><Reference variables="sdp"/>`;
    const call = sipp(sipPort, fillScenario("pin-answered.xml", { LISTEN_PORT: ear.port, PROGRESS: progress, HOLD_MS: 500 }), { service: dialInCode });
    await until(() => ear.heard.focus !== null, "the prompt's RTP");
    sendSilence(ear.socket, ear.heard.focus!); // early media from the caller: the focus keeps the INVITE pending
    for (const keys of entries) {
      await pressKeys(ear.socket, ear.heard.focus!, `${keys}#`);
      await new Promise((r) => setTimeout(r, 400)); // the check, and the wrong-PIN tone, before the next entry
    }
    expectSippOk(await call);
  } finally {
    ear.close();
  }
}

/** A cascade leg from island-b's focus: an INVITE signed with the pair's secret, answered without a PIN, then hung up. */
async function cascadeLeg(sipPort: number, dialInCode: string): Promise<string> {
  const peer = await RawUdpPeer.open("127.0.0.1");
  try {
    const callId = `secrets-cascade-${Date.now()}`;
    const uri = `sip:${dialInCode}@127.0.0.1:${sipPort}`;
    const from = `<sip:focus@island-b.test>;tag=cascade1`;
    const header = cascadeHeaderValue(PEER_SECRET, "island-b.test", uri);
    const via = (branch: string) => `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=${branch};rport`;
    const sdp = ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0", "m=audio 40002 RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", ""].join("\r\n");
    await peer.send(sipBytes([
      `INVITE ${uri} SIP/2.0`, via(`z9hG4bK${callId}`), `From: ${from}`, `To: <${uri}>`, `Call-ID: ${callId}`, "CSeq: 1 INVITE",
      `Contact: <sip:focus@127.0.0.1:${peer.port}>`, "Max-Forwards: 70", `X-Dcon-Island: ${header}`, "Content-Type: application/sdp",
    ], sdp), sipPort);
    const final = () => peer.received.map((r) => r.msg).find((m): m is SipResponse => m?.kind === "response" && m.headers.get("Call-ID") === callId && m.status >= 200);
    await peer.until(() => final() !== undefined, 10_000);
    const ok = final()!;
    expect(ok.status).toBe(200); // admitted as the peer's focus: no PIN asked
    const target = /<([^>]+)>/.exec(ok.headers.get("Contact")!)![1]!;
    const inDialog = (method: string, seq: number, branch: string) => [
      `${method} ${target} SIP/2.0`, via(branch), `From: ${from}`, `To: ${ok.headers.get("To")}`, `Call-ID: ${callId}`, `CSeq: ${seq} ${method}`, "Max-Forwards: 70",
    ];
    await peer.send(sipBytes(inDialog("ACK", 1, `z9hG4bKack${callId}`)), sipPort);
    await peer.send(sipBytes(inDialog("BYE", 2, `z9hG4bKbye${callId}`)), sipPort);
    await peer.until(() => peer.responses(200, "BYE").length > 0, 10_000);
    return header;
  } finally {
    await peer.close();
  }
}

/** Every place `needle` occurs in `haystack`. */
function occurrences(haystack: string, needle: string): number[] {
  const at: number[] = [];
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + 1)) at.push(i);
  return at;
}

/** The log's JSON records from the SIP side (parts sip, cascade, bfcp), with the text they were read from. */
function sipRecords(out: string): { line: string; record: Record<string, unknown> }[] {
  return out.split("\n").flatMap((line) => {
    if (!line.startsWith("{")) return [];
    try {
      const record = JSON.parse(line) as Record<string, unknown>;
      return ["sip", "cascade", "bfcp"].includes(String(record.part)) ? [{ line, record }] : [];
    } catch {
      return [];
    }
  });
}

test("no PIN, token, password or federation secret in a real focus' output at LOG_LEVEL=trace; the bootstrap token once, where it is meant to be", async () => {
  const sipPort = await freeUdpPort();
  const closedXmppPort = await freePort(); // nothing listens there: the focus keeps trying in the background
  const focus = await spawnFocus({
    DATABASE_URL: await freshDatabaseUrl(),
    LOG_LEVEL: "trace",
    // NODE_ENV=production as deployed (Jest's NODE_ENV=test would silence express' own error logging)
    NODE_ENV: "production",
    ADMIN_TOKEN: "", // a first start: the focus makes the admin token and prints it once
    SIP_PORT: String(sipPort),
    XMPP_SERVICE: `xmpp://127.0.0.1:${closedXmppPort}`,
    XMPP_COMPONENT_JID: "focus.island-a.test",
    XMPP_COMPONENT_SECRET: COMPONENT_SECRET,
    FEDERATION_PEERS: JSON.stringify([{ island: "island-b.test", component: "focus.island-b.test", secret: PEER_SECRET, sip: `127.0.0.1:${await freeUdpPort()}` }]),
  });
  const streamsClosed = new Promise((resolve) => focus.child.once("close", resolve));
  const bootstrap = /First start: an admin token was created\. It is shown once; keep it\.\n\n {4}(dcon_[A-Za-z0-9_-]+)\n/.exec(focus.output());
  expect(bootstrap).not.toBeNull();
  const adminToken = bootstrap![1]!;
  const secrets: string[] = [CONFERENCE_PIN, USER_PIN, ...WRONG_PINS, CHANGED_PIN, ...Object.values(PASSWORDS), COMPONENT_SECRET, PEER_SECRET];
  try {
    const admin = new HttpClient(focus.url, adminToken);
    expect((await admin.must(`{ me { role } }`)).me.role).toBe("ADMIN");

    // PINs set over GraphQL: the conference's and a user's
    const { createConference: c } = await admin.must(
      `mutation($pin: String!) { createConference(input: { subject: "Secret", joinHandling: PIN, pin: $pin }) { id dialInCode hasPin } }`, { pin: CONFERENCE_PIN });
    expect(c.hasPin).toBe(true);
    const { addUser: carol } = await admin.must(
      `mutation($c: ID!, $pin: String!) { addUser(conferenceId: $c, input: { entity: "sip:carol@a.test", role: MODERATOR, pin: $pin }) { id } }`, { c: c.id, pin: USER_PIN });

    // ... keyed by SIP callers as RFC 4733 digits: a wrong PIN, then the conference's; a wrong one, then carol's
    await callWithPins(sipPort, c.dialInCode, [WRONG_PINS[0]!, CONFERENCE_PIN]);
    await callWithPins(sipPort, c.dialInCode, [WRONG_PINS[1]!, USER_PIN]);
    const { events } = await admin.must(`query($c: ID!) { events(conferenceId: $c, limit: 1000) { type payload } }`, { c: c.id });
    const joined = events.filter((e: { type: string }) => e.type === "USER_JOINED").map((e: { payload: { user: { id: string; via: string } } }) => e.payload.user);
    expect(joined).toHaveLength(2); // the conference PIN's caller, then carol by hers
    expect(joined[1]).toMatchObject({ id: carol.id, via: "sip" });

    // ... and given to joinConference, wrong and right
    const wrong = await admin.request(`mutation($c: ID!, $pin: String!) { joinConference(conferenceId: $c, entity: "sip:mallory@a.test", pin: $pin) { id } }`, { c: c.id, pin: WRONG_PINS[1] });
    expect(wrong.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", reason: "WRONG_PIN" });
    expect(await admin.must(`mutation { joinConference(conferenceId: "${c.id}", entity: "sip:dave@a.test", pin: "${USER_PIN}") { id } }`)) // inline in the query text
      .toEqual({ joinConference: { id: carol.id } });

    // tokens: issued, used as bearer tokens and as graphql-ws connection parameters; PINs changed with them
    const integ = (await admin.must(`mutation { issueToken(name: "logged?", role: INTEGRATOR) { secret } }`)).issueToken.secret as string;
    const conf = (await admin.must(`mutation($u: ID!) { issueConferenceToken(userId: $u, name: "logged?") { secret } }`, { u: carol.id })).issueConferenceToken.secret as string;
    secrets.push(integ, conf);
    expect((await new HttpClient(focus.url, integ).must(`{ me { role } }`)).me.role).toBe("INTEGRATOR");
    const asCarol = new HttpClient(focus.url, conf);
    expect((await asCarol.request(`mutation($c: ID!, $pin: String!) { updateConference(id: $c, patch: { pin: $pin }) { hasPin } }`, { c: c.id, pin: CHANGED_PIN })).errors).toBeUndefined();
    expect((await asCarol.request(`mutation($u: ID!, $pin: String!) { updateUser(id: $u, patch: { pin: $pin }) { hasPin } }`, { u: carol.id, pin: CHANGED_PIN })).errors).toBeUndefined();
    for (const token of [conf, adminToken]) {
      const ws = wsClient(focus.url, token);
      try {
        expect(await firstOf(ws, `subscription($c: ID!) { roster(conferenceId: $c) { id } }`, { c: c.id })).toHaveProperty("data");
      } finally {
        await ws.dispose();
      }
    }
    // a revoked token, over HTTP and WebSocket
    const revoked = (await admin.must(`mutation { issueToken(name: "revoked", role: INTEGRATOR) { secret token { id } } }`)).issueToken;
    secrets.push(revoked.secret);
    await admin.must(`mutation($id: ID!) { revokeToken(id: $id) { id } }`, { id: revoked.token.id });
    expect((await new HttpClient(focus.url, revoked.secret).request(`{ me { role } }`)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const refused = wsClient(focus.url, revoked.secret);
    await expect(firstOf(refused, `subscription($c: ID!) { roster(conferenceId: $c) { id } }`, { c: c.id })).rejects.toThrow(/4403/);
    await refused.dispose();

    // account passwords: made, signed in with (wrong, then right, inline in the query text), changed; the session signed out
    const account = (await admin.must(`mutation($p: String!) { createAccount(username: "logged", password: $p, role: INTEGRATOR) { id } }`, { p: PASSWORDS.first })).createAccount;
    const wrongPassword = await admin.request(`mutation($p: String!) { signIn(username: "logged", password: $p) { secret } }`, { p: PASSWORDS.wrong });
    expect(wrongPassword.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const session = (await new HttpClient(focus.url, null).must(`mutation { signIn(username: "logged", password: "${PASSWORDS.first}") { secret } }`)).signIn.secret as string;
    secrets.push(session);
    await admin.must(`mutation($id: ID!, $p: String!) { setAccountPassword(id: $id, password: $p) { id } }`, { id: account.id, p: PASSWORDS.changed });
    const again = (await new HttpClient(focus.url, null).must(`mutation($p: String!) { signIn(username: "logged", password: $p) { secret } }`, { p: PASSWORDS.changed })).signIn.secret as string;
    secrets.push(again);
    await new HttpClient(focus.url, again).must(`mutation { signOut { id } }`);

    // the same secrets in requests that fail before GraphQL: malformed JSON, a body that is no object, a body too large
    const raw = (body: string) => fetch(`${focus.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${integ}` }, body });
    expect((await raw(`{"query":"mutation { joinConference(pin: \\"${CONFERENCE_PIN}\\") }","variables":{"token":"${conf}"} oops`)).status).toBe(400);
    expect((await raw(`"${USER_PIN} ${adminToken}"`)).status).toBe(400);
    expect((await raw(JSON.stringify({ query: "{ me { role } }", variables: { pin: CONFERENCE_PIN, pad: "x".repeat(300_000) } }))).status).toBe(413);
    // an .ics export with its bearer token
    expect((await fetch(`${focus.url}/conferences/${c.id}.ics`, { headers: { authorization: `Bearer ${conf}` } })).status).toBe(200);

    // a cascade leg from the peer island, proven by the pair's secret: its signature is a credential too (for minutes)
    secrets.push(await cascadeLeg(sipPort, c.dialInCode));
    expect((await fetch(`${focus.url}/healthz`)).status).toBe(200);
  } finally {
    focus.child.kill("SIGTERM");
  }
  expect(await focus.exited).toBe(0);
  await streamsClosed;
  const out = focus.output();
  if (process.env.SECRETS_LOG_DUMP) writeFileSync(process.env.SECRETS_LOG_DUMP, out); // to read what was logged

  // the log was captured, from start to a clean shutdown, at trace level, SIP and federation included
  expect(out).toContain("focus listening");
  expect(out).toContain("focus stopped");
  expect(out).toContain("SIP caller joined with a PIN");
  expect(out).toContain("wrong PIN");
  expect(out).toContain("federation started");

  // the bootstrap token: exactly once, in the block printed for the operator
  expect(occurrences(out, adminToken)).toEqual([bootstrap!.index + bootstrap![0].indexOf(adminToken)]);
  for (const s of secrets) expect({ secret: s, at: occurrences(out, s) }).toEqual({ secret: s, at: [] });

  // on the SIP side, no PIN as digits strung together anywhere in a record (digit by digit, or split by separators)
  const sip = sipRecords(out);
  expect(sip.length).toBeGreaterThan(5);
  for (const { line, record } of sip) {
    const digits = line.replace(/[^0-9]/g, "");
    for (const pin of [CONFERENCE_PIN, USER_PIN, ...WRONG_PINS]) expect({ line, pin, found: digits.includes(pin) }).toEqual({ line, pin, found: false });
    // and no field that would carry keyed digits
    expect({ line, keys: Object.keys(record).filter((k) => /^(pin|digits?|dtmf|keys?|entered|entry)$/i.test(k)) }).toEqual({ line, keys: [] });
  }
}, 120_000);
