import { Writable } from "node:stream";
import { createLogger } from "./logger.ts";

/** Everything a logger writes, as one string. */
function capture(): { log: ReturnType<typeof createLogger>; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({ write: (c, _e, done) => (chunks.push(String(c)), done()) });
  return { log: createLogger("trace", sink), text: () => chunks.join("") };
}

describe("log redaction", () => {
  it("redacts passwords and password hashes at the top level and nested, keeping the rest", () => {
    const { log, text } = capture();
    log.info({ password: "pw-top-level-1", username: "alice" }, "sign in");
    log.info({ input: { password: "pw-nested-2", role: "ADMIN" } }, "create");
    log.info({ args: { input: { password: "pw-deeper-3" } } }, "deeper");
    log.info({ account: { passwordHash: "scrypt$16384$8$1$salt$hash-4" } }, "row");
    const out = text();
    for (const s of ["pw-top-level-1", "pw-nested-2", "pw-deeper-3", "hash-4"]) expect(out).not.toContain(s);
    expect(out.match(/\[redacted\]/g)).toHaveLength(4);
    expect(out).toContain('"username":"alice"');
    expect(out).toContain('"role":"ADMIN"');
  });

  it("redacts GraphQL variables as a whole (signIn's password travels in them)", () => {
    const { log, text } = capture();
    log.info({ operationName: "SignIn", variables: { username: "alice", password: "pw-in-variables-5" } }, "operation");
    log.info({ request: { variables: { password: "pw-in-request-6" } } }, "operation");
    const out = text();
    expect(out).not.toContain("pw-in-variables-5");
    expect(out).not.toContain("pw-in-request-6");
    expect(out).toContain('"operationName":"SignIn"');
  });
});

describe("log redaction of tokens, PINs and federation secrets", () => {
  it("redacts PINs, keyed digits, token secrets, headers and connection parameters", () => {
    const { log, text } = capture();
    log.info({ pin: "48151623", user: { pin: "27182818" }, call: { entry: { digits: "11235813" } }, dtmf: "31415926" }, "pins");
    log.info({ req: { headers: { authorization: "Bearer dcon_header-1", cookie: "session=dcon_cookie-2", host: "focus" } } }, "request");
    log.info({ ctx: { connectionParams: { authorization: "Bearer dcon_ws-3" } } }, "socket");
    log.info({ issued: { secret: "dcon_issued-4", token: { secretHash: "hash-5" } } }, "issue");
    log.info({ op: { query: 'mutation { signIn(username: "a", password: "pw-inline-6") { secret } }' } }, "operation");
    const out = text();
    for (const s of ["48151623", "27182818", "11235813", "31415926", "dcon_header-1", "dcon_cookie-2", "dcon_ws-3", "dcon_issued-4", "hash-5", "pw-inline-6"]) {
      expect(out).not.toContain(s);
    }
    expect(out).toContain('"host":"focus"');
  });

  it("redacts the configuration's secrets and a cascade leg's X-Dcon-Island header", () => {
    const { log, text } = capture();
    const config = { ADMIN_TOKEN: "dcon_admin-7", XMPP_COMPONENT_SECRET: "component-8", FEDERATION_PEERS: [{ island: "b", secret: "peer-9" }], PORT: 4000 };
    log.info({ config }, "config");
    log.info({ sip: { headers: { "x-dcon-island": "island-b;ts=1;sig=mac-10" } } }, "invite");
    log.info({ headers: { "X-Dcon-Island": "island-b;ts=1;sig=mac-11" } }, "invite");
    const out = text();
    for (const s of ["dcon_admin-7", "component-8", "peer-9", "mac-10", "mac-11"]) expect(out).not.toContain(s);
    expect(out).toContain('"PORT":4000');
  });
});
