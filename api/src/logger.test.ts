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
