/**
 * A tiny authoritative DNS responder (UDP, RFC 1035 §4) for the islands of one test cluster, so that their
 * Prosodys can find each other's s2s port through SRV records (RFC 6120 §3.2.1: `_xmpp-server._tcp.<domain>`)
 * instead of the hard-wired fallback port 5269. Each island's lua-unbound forwards to it (see prosody.ts).
 *
 * It answers A and SRV (`_xmpp-server._tcp`, `_xmpp-client._tcp`) for the cluster's names, NODATA for other
 * types of those names, NXDOMAIN for anything else, and ignores EDNS. Nothing here is meant for production.
 */
import { createSocket, type Socket } from "node:dgram";

export interface IslandDnsName {
  /** "island-a.test" or "focus.island-a.test" */
  name: string;
  /** IPv4 address, e.g. 127.0.0.2 */
  address: string;
  /** the s2s port published as `_xmpp-server._tcp.<name>` */
  s2sPort: number;
  /** the c2s port published as `_xmpp-client._tcp.<name>` */
  c2sPort: number;
}

export interface IslandDns {
  /** "127.0.0.1@port", the form unbound's forward setting takes */
  readonly forwardSpec: string;
  readonly port: number;
  /** queries answered so far, as "name TYPE" (for error messages) */
  queries(): string[];
  close(): Promise<void>;
}

const TYPE_A = 1;
const TYPE_SRV = 33;
const CLASS_IN = 1;
const TTL = 60;
const RCODE_NXDOMAIN = 3;
const TYPE_NAMES: Record<number, string> = { 1: "A", 28: "AAAA", 33: "SRV", 15: "MX", 16: "TXT" };

export async function startIslandDns(names: readonly IslandDnsName[]): Promise<IslandDns> {
  const byName = new Map(names.map((n) => [n.name.toLowerCase(), n]));
  const seen: string[] = [];
  const socket: Socket = createSocket("udp4");
  socket.on("message", (msg, rinfo) => {
    const reply = answer(msg, byName, seen);
    if (reply) socket.send(reply, rinfo.port, rinfo.address);
  });
  socket.on("error", () => {}); // a malformed datagram or an ICMP error must not end the test process
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => {
      socket.removeListener("error", reject);
      resolve();
    });
  });
  const port = socket.address().port;
  let closed: Promise<void> | null = null;
  return {
    forwardSpec: `127.0.0.1@${port}`,
    port,
    queries: () => [...seen],
    close: () => (closed ??= new Promise<void>((resolve) => socket.close(() => resolve()))),
  };
}

/** The response to one query datagram, or null when it is not a query we can parse. */
function answer(msg: Buffer, byName: Map<string, IslandDnsName>, seen: string[]): Buffer | null {
  if (msg.length < 12) return null;
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000 || msg.readUInt16BE(4) !== 1) return null; // a response, or not exactly one question
  const labels: string[] = [];
  let off = 12;
  for (;;) {
    if (off >= msg.length) return null;
    const len = msg[off]!;
    if (len === 0) break;
    if (len > 63 || off + 1 + len > msg.length) return null; // compression is not allowed in a question
    labels.push(msg.toString("latin1", off + 1, off + 1 + len).toLowerCase());
    off += 1 + len;
  }
  off += 1;
  if (off + 4 > msg.length) return null;
  const qtype = msg.readUInt16BE(off);
  const qclass = msg.readUInt16BE(off + 2);
  const question = msg.subarray(12, off + 4);
  const qname = labels.join(".");
  seen.push(`${qname} ${TYPE_NAMES[qtype] ?? qtype}`);

  const answers: Buffer[] = [];
  let known = false;
  if (labels.length > 2 && (labels[0] === "_xmpp-server" || labels[0] === "_xmpp-client") && labels[1] === "_tcp") {
    const target = byName.get(labels.slice(2).join("."));
    if (target) {
      known = true;
      if (qtype === TYPE_SRV && qclass === CLASS_IN) {
        const port = labels[0] === "_xmpp-server" ? target.s2sPort : target.c2sPort;
        const name = encodeName(target.name);
        const rdata = Buffer.alloc(6 + name.length);
        rdata.writeUInt16BE(0, 0); // priority
        rdata.writeUInt16BE(0, 2); // weight
        rdata.writeUInt16BE(port, 4);
        name.copy(rdata, 6);
        answers.push(record(TYPE_SRV, rdata));
      }
    }
  } else {
    const host = byName.get(qname);
    if (host) {
      known = true;
      if (qtype === TYPE_A && qclass === CLASS_IN) answers.push(record(TYPE_A, Buffer.from(host.address.split(".").map(Number))));
    }
  }

  const header = Buffer.alloc(12);
  msg.copy(header, 0, 0, 2); // id
  // QR, the query's opcode and RD, AA, RA; NXDOMAIN for names outside the cluster (RFC 1035 §4.1.1)
  header.writeUInt16BE(0x8000 | (flags & 0x7900) | 0x0400 | 0x0080 | (known ? 0 : RCODE_NXDOMAIN), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  return Buffer.concat([header, question, ...answers]);
}

/** One answer RR whose owner is the question's name (a compression pointer to offset 12). */
function record(type: number, rdata: Buffer): Buffer {
  const rr = Buffer.alloc(12 + rdata.length);
  rr.writeUInt16BE(0xc00c, 0);
  rr.writeUInt16BE(type, 2);
  rr.writeUInt16BE(CLASS_IN, 4);
  rr.writeUInt32BE(TTL, 6);
  rr.writeUInt16BE(rdata.length, 10);
  rdata.copy(rr, 12);
  return rr;
}

function encodeName(name: string): Buffer {
  const parts = name.split(".").filter(Boolean);
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, "latin1")])), Buffer.from([0])]);
}
