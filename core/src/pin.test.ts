import { hashPin, validatePin, verifyPin } from "./pin.ts";
import { DomainError } from "./errors.ts";

describe("PIN hashing", () => {
  it("verifies the right PIN only, and never stores it in clear", () => {
    const stored = hashPin("48151623");
    expect(stored).not.toContain("48151623");
    expect(stored).toMatch(/^scrypt\$/);
    expect(verifyPin("48151623", stored)).toBe(true);
    expect(verifyPin("48151624", stored)).toBe(false);
    expect(verifyPin("48151623", null)).toBe(false);
    expect(verifyPin("48151623", "garbage")).toBe(false);
  });

  it("salts: the same PIN hashes differently each time", () => {
    expect(hashPin("1234")).not.toBe(hashPin("1234"));
  });

  it("accepts 4 to 12 digits only (DTMF-enterable)", () => {
    expect(validatePin("0000")).toBe("0000");
    for (const bad of ["123", "1234567890123", "12a4", "12 34", ""]) expect(() => validatePin(bad)).toThrow(DomainError);
  });
});
