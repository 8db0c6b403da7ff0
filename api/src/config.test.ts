import { ConfigError, loadConfig } from "./config.ts";

describe("configuration", () => {
  it("has sane defaults: SQLite embedded, loopback, port 4000", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ DATABASE_URL: "file:./data/focus.db", HOST: "127.0.0.1", PORT: 4000, MIGRATE_ON_START: true });
  });

  it("names every bad variable in one error", () => {
    let err: unknown;
    try {
      loadConfig({ PORT: "70000", DATABASE_URL: "mysql://x", ISLAND: "Not A Name", ADMIN_TOKEN: "short" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    for (const name of ["PORT", "DATABASE_URL", "ISLAND", "ADMIN_TOKEN"]) expect(msg).toContain(name);
    expect(msg).not.toContain("short"); // the value of a secret is not echoed
  });

  it("treats empty variables as unset and parses booleans", () => {
    expect(loadConfig({ PORT: "", MIGRATE_ON_START: "false" })).toMatchObject({ PORT: 4000, MIGRATE_ON_START: false });
  });

  it("asks for an advertised SIP address when SIP listens on a wildcard address", () => {
    expect(() => loadConfig({ HOST: "0.0.0.0" })).toThrow(/SIP_ADVERTISED_HOST: required when SIP listens on 0\.0\.0\.0/);
    expect(loadConfig({ HOST: "0.0.0.0", SIP_ADVERTISED_HOST: "192.0.2.10" }).SIP_ADVERTISED_HOST).toBe("192.0.2.10");
    expect(loadConfig({ HOST: "0.0.0.0", SIP_ENABLED: "false" }).HOST).toBe("0.0.0.0");
    expect(() => loadConfig({ SIP_ADVERTISED_HOST: "focus.example" })).toThrow(/must be an IP address/);
  });
});
