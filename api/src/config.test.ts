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

describe("rate limit settings", () => {
  it("are on by default, with the documented defaults, and X-Forwarded-For is not trusted", () => {
    expect(loadConfig({})).toMatchObject({
      RATE_LIMIT_ENABLED: true, SIGNIN_FAILURES_PER_NAME: 5, SIGNIN_ATTEMPTS_PER_MINUTE: 20, PIN_FAILURES_PER_ADDRESS: 10,
      WS_CONNECTIONS_PER_SECOND: 20, HTTP_REQUESTS_PER_SECOND: 50, TRUST_PROXY: 0,
    });
  });

  it("takes 0 as off, TRUST_PROXY as true, false or a count of proxies", () => {
    expect(loadConfig({ WS_CONNECTIONS_PER_SECOND: "0", RATE_LIMIT_ENABLED: "false" })).toMatchObject({ WS_CONNECTIONS_PER_SECOND: 0, RATE_LIMIT_ENABLED: false });
    expect(loadConfig({ TRUST_PROXY: "true" }).TRUST_PROXY).toBe(1);
    expect(loadConfig({ TRUST_PROXY: "false" }).TRUST_PROXY).toBe(0);
    expect(loadConfig({ TRUST_PROXY: "2" }).TRUST_PROXY).toBe(2);
    expect(loadConfig({ TRUST_PROXY: "loopback, 10.0.0.0/8" }).TRUST_PROXY).toMatchObject({ entries: ["loopback", "10.0.0.0/8"] });
  });

  it("names bad values", () => {
    expect(() => loadConfig({ SIGNIN_FAILURES_PER_NAME: "-1" })).toThrow(/SIGNIN_FAILURES_PER_NAME: must be 0 \(off\) or more/);
    expect(() => loadConfig({ PIN_FAILURES_PER_ADDRESS: "ten" })).toThrow(/PIN_FAILURES_PER_ADDRESS/);
    expect(() => loadConfig({ HTTP_REQUESTS_PER_SECOND: "1.5" })).toThrow(/HTTP_REQUESTS_PER_SECOND/);
    expect(() => loadConfig({ TRUST_PROXY: "yes" })).toThrow(/TRUST_PROXY: must be true, false or the number of proxies/);
    expect(() => loadConfig({ TRUST_PROXY: "11" })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ TRUST_PROXY: "loopback,10.0.0.0/33" })).toThrow(/TRUST_PROXY: .*"10.0.0.0\/33" is not an IP address/);
  });
});
