// Peers: sipp (Debian sip-tester) negotiates TCP/TLS/BFCP in SDP; OpenSSL (the openssl command) makes the
// focus' certificate; Node's TLS client checks the fingerprint from the SDP and speaks BFCP over it.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { startTestFocus, type TestFocus } from "../../api/test/support/focus.ts";
import { BfcpPrimitive, BfcpStreamFramer, encodeBfcp, type BfcpMessage } from "../src/bfcp/index.ts";
import { expectSippOk, fillScenario, sipp } from "./support/sipp.ts";
import { until } from "./support/rtp.ts";

let t: TestFocus;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "dcon-tls-"));
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=focus.island-a.test", "-keyout", key, "-out", cert], { stdio: "ignore" });
  t = await startTestFocus({ env: { BFCP_TLS_CERT: cert, BFCP_TLS_KEY: key } });
});
afterAll(async () => {
  await t?.close();
});

test("TCP/TLS/BFCP: the answer names the TLS port and the certificate's fingerprint, and BFCP works over that TLS connection", async () => {
  const transport = t.focus.sip!.bfcp!.transport;
  const { port: tlsPort, fingerprint } = transport.tls!;
  const { createConference: c } = await t.admin.must(`mutation { createConference(input: { subject: "TLS" }) { id dialInCode } }`);
  const call = sipp(t.focus.sip!.port, fillScenario("bfcp-tls.xml", { TLS_PORT: tlsPort, FINGERPRINT: fingerprint, HOLD_MS: 3000 }), { service: c.dialInCode });

  const ids = t.focus.sip!.bfcp!.server.ids;
  await until(() => [...ids.joined(c.id)].length === 1, "the caller joined");
  const me = [...ids.joined(c.id)][0]!;

  // The client checks that the certificate is the one the SDP named (RFC 8122 section 6), not a CA chain.
  const socket = tls.connect({ host: "127.0.0.1", port: tlsPort, rejectUnauthorized: false });
  await new Promise((r) => socket.once("secureConnect", r));
  expect(socket.getPeerX509Certificate()!.fingerprint256).toBe(fingerprint);
  const framer = new BfcpStreamFramer();
  const got: BfcpMessage[] = [];
  socket.on("data", (d) => got.push(...framer.push(d)));
  const header = { version: 1 as const, responder: false, conferenceId: me.confId, userId: me.userId };
  socket.write(encodeBfcp({ ...header, transactionId: 7, primitive: BfcpPrimitive.Hello }));
  socket.write(encodeBfcp({ ...header, transactionId: 8, primitive: BfcpPrimitive.FloorRequest, floorIds: [1] }));
  await until(() => got.length >= 2, "HelloAck and FloorRequestStatus");
  expect(got[0]).toMatchObject({ primitive: BfcpPrimitive.HelloAck, transactionId: 7 });
  expect(got[1]).toMatchObject({ primitive: BfcpPrimitive.FloorRequestStatus, transactionId: 8, floorRequestInformation: { overallRequestStatus: { requestStatus: { status: 1, queuePosition: 0 } } } });
  const { floors } = (await t.admin.must(`query($id: ID!) { conference(id: $id) { floors { label queue { status } } } }`, { id: c.id })).conference;
  expect(floors).toEqual([{ label: "audio", queue: [{ status: "PENDING" }] }]);
  socket.end();
  expectSippOk(await call);
}, 30_000);

test("a client that is not TLS on the TLS port is dropped and the focus keeps serving", async () => {
  const net = await import("node:net");
  const s = net.connect(t.focus.sip!.bfcp!.transport.tls!.port, "127.0.0.1");
  await new Promise((r) => s.once("connect", r));
  s.write(Buffer.alloc(64, 0x41));
  await new Promise((r) => s.once("close", r));
  expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
});
