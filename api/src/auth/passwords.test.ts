import { scryptSync } from "node:crypto";
import { hashPassword, verifyPassword } from "./passwords.ts";

describe("account passwords", () => {
  it("stores scrypt$N$r$p$salt$hash with the agreed cost, a 16-byte salt and a 64-byte key, never the password", async () => {
    const stored = await hashPassword("correct horse battery");
    expect(stored).not.toContain("correct horse battery");
    const [scheme, n, r, p, salt, key, ...rest] = stored.split("$");
    expect([scheme, n, r, p, rest]).toEqual(["scrypt", "16384", "8", "1", []]);
    expect(salt).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(salt!, "base64url")).toHaveLength(16);
    expect(Buffer.from(key!, "base64url")).toHaveLength(64);
    // the same derivation done independently gives the stored key
    const again = scryptSync("correct horse battery", Buffer.from(salt!, "base64url"), 64, { N: 16384, r: 8, p: 1 });
    expect(again.toString("base64url")).toBe(key);
  });

  it("verifies the right password only", async () => {
    const stored = await hashPassword("correct horse battery");
    expect(await verifyPassword("correct horse battery", stored)).toBe(true);
    expect(await verifyPassword("correct horse batterY", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it("salts: the same password hashes differently each time", async () => {
    expect(await hashPassword("correct horse battery")).not.toBe(await hashPassword("correct horse battery"));
  });

  it("reads the cost from the stored hash, so hashes made with other parameters still verify", async () => {
    const salt = Buffer.from("0123456789abcdef");
    const key = scryptSync("an older password", salt, 32, { N: 1024, r: 8, p: 1 });
    const stored = `scrypt$1024$8$1$${salt.toString("base64url")}$${key.toString("base64url")}`;
    expect(await verifyPassword("an older password", stored)).toBe(true);
    expect(await verifyPassword("another password", stored)).toBe(false);
  });

  it("says no for a missing account or an unreadable hash, after the same work as for a wrong password", async () => {
    const stored = await hashPassword("correct horse battery");
    const unreadable = ["", "garbage", "scrypt$16384$8$1$", "bcrypt$16384$8$1$AAAA$BBBB", `scrypt$${2 ** 30}$8$1$${"A".repeat(22)}$${"A".repeat(86)}`];
    for (const bad of [null, ...unreadable]) expect(await verifyPassword("correct horse battery", bad)).toBe(false);

    // timing: a missing account costs one full scrypt, like a wrong password (not a fast "no")
    const time = async (f: () => Promise<unknown>) => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 4; i++) await f();
      return Number(process.hrtime.bigint() - t0) / 4e6;
    };
    await time(() => verifyPassword("warm up", null));
    const wrong = await time(() => verifyPassword("not the password", stored));
    const missing = await time(() => verifyPassword("not the password", null));
    // a loose bound (parallel tests share the CPU): a shortcut would be thousands of times faster
    expect(missing).toBeGreaterThan(wrong * 0.25);
  });
});
