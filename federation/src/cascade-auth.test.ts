import { cascadeHeaderValue, verifyCascadeHeader } from "./cascade-auth.ts";

const secrets: Record<string, string> = { "island-b.test": "a and b share this secret" };
const secretOf = (i: string) => secrets[i];
const TARGET = "sip:123456@127.0.0.1:5060";

test("a leg signed by a peer island verifies as that island", () => {
  const now = 1_764_000_000_000;
  expect(verifyCascadeHeader(cascadeHeaderValue(secrets["island-b.test"]!, "island-b.test", TARGET, now), TARGET, secretOf, now + 1000)).toBe("island-b.test");
});

test.each([
  ["no header", undefined],
  ["another secret", cascadeHeaderValue("a guessed secret", "island-b.test", TARGET, 1_764_000_000_000)],
  ["an island that is no peer", cascadeHeaderValue("a and b share this secret", "island-x.test", TARGET, 1_764_000_000_000)],
  ["another conference (Request-URI)", cascadeHeaderValue("a and b share this secret", "island-b.test", "sip:654321@127.0.0.1:5060", 1_764_000_000_000)],
  ["an old signature", cascadeHeaderValue("a and b share this secret", "island-b.test", TARGET, 1_764_000_000_000 - 10 * 60_000)],
  ["garbage", "island-b.test;ts=x;sig=y"],
])("%s does not verify", (_what, value) => {
  expect(verifyCascadeHeader(value, TARGET, secretOf, 1_764_000_000_000)).toBeNull();
});
