/**
 * Whose request is this: the address rate limits are keyed by. By default the TCP peer's address, since
 * anyone can write an X-Forwarded-For header. Behind reverse proxies that each append the address they
 * received the request from (the de-facto X-Forwarded-For convention; RFC 7239 section 5.2 describes the
 * same for `Forwarded: for=`), TRUST_PROXY says which of them to believe, in either of two ways:
 *
 * - a count n: there are n proxies in front, so the client is the n-th entry from the right, the one our
 *   nearest trusted proxy saw. Entries further left were written by the client itself.
 * - a list of addresses, subnets and names (`loopback`, `linklocal`, `uniquelocal`): the header is read
 *   only when the peer is one of them, then walked from the right past every trusted address; the first
 *   untrusted one is the client. A request from anywhere else is keyed by its peer, whatever it wrote.
 *   This is the form for the portal beside the focus (`loopback`): it forwards its browser's address,
 *   while a browser writing X-Forwarded-For to the focus directly is not believed.
 */
import type { IncomingMessage } from "node:http";
import { BlockList, isIP } from "node:net";

/** Stands for a request whose peer address is unknown (a socket already gone): one shared key. */
export const UNKNOWN_ADDRESS = "unknown";

/** The subnets a name in TRUST_PROXY stands for (the same names express' `trust proxy` takes). */
export const PROXY_SUBNET_NAMES: Readonly<Record<string, readonly string[]>> = {
  loopback: ["127.0.0.0/8", "::1/128"],
  linklocal: ["169.254.0.0/16", "fe80::/10"],
  uniquelocal: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
};

export class TrustProxyError extends Error {
  override readonly name = "TrustProxyError";
  readonly code = "BAD_TRUST_PROXY";
}

/** Proxies trusted by address: the list form of TRUST_PROXY, checked once at start. */
export class TrustedProxies {
  private readonly list = new BlockList();

  /** `entries`: addresses, CIDR subnets and subnet names; throws TrustProxyError naming a bad one. */
  constructor(readonly entries: readonly string[]) {
    if (entries.length === 0) throw new TrustProxyError("name at least one proxy address, subnet or name");
    for (const entry of entries) {
      for (const subnet of PROXY_SUBNET_NAMES[entry] ?? [entry]) this.add(subnet, entry);
    }
  }

  private add(subnet: string, entry: string): void {
    const [address, prefix, ...rest] = subnet.split("/");
    const family = isIP(address!);
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : /^[0-9]{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (family === 0 || rest.length > 0 || !(bits >= 0 && bits <= (family === 6 ? 128 : 32))) {
      throw new TrustProxyError(`"${entry}" is not an IP address, a subnet (address/bits) or one of ${Object.keys(PROXY_SUBNET_NAMES).join(", ")}`);
    }
    this.list.addSubnet(address!, bits, family === 6 ? "ipv6" : "ipv4");
  }

  trusts(address: string): boolean {
    const bare = unmapped(address);
    const family = isIP(bare);
    return family !== 0 && this.list.check(bare, family === 6 ? "ipv6" : "ipv4");
  }
}

/** TRUST_PROXY as configured: a number of proxies in front (0: none), or the proxies' addresses. */
export type TrustProxy = number | TrustedProxies;

export function clientAddress(req: Pick<IncomingMessage, "headers" | "socket">, trust: TrustProxy): string {
  const peer = req.socket?.remoteAddress ?? UNKNOWN_ADDRESS;
  if (trust === 0) return peer;
  if (typeof trust !== "number" && !trust.trusts(peer)) return peer;
  const header = req.headers["x-forwarded-for"];
  const entries = (Array.isArray(header) ? header.join(",") : header ?? "")
    .split(",")
    .map((s) => stripPort(s.trim()))
    .filter((s) => s.length > 0);
  if (entries.length === 0) return peer;
  // Fewer entries than proxies (or every entry trusted): the leftmost is as far as we can see.
  const at = typeof trust === "number" ? Math.max(0, entries.length - trust) : firstUntrustedFromRight(entries, trust);
  const address = entries[at]!;
  return isIP(address) !== 0 ? address : peer;
}

/** Walks right to left past trusted proxies; a junk entry stops the walk (and the peer is used). */
function firstUntrustedFromRight(entries: string[], trust: TrustedProxies): number {
  let i = entries.length - 1;
  while (i > 0 && isIP(entries[i]!) !== 0 && trust.trusts(entries[i]!)) i--;
  return i;
}

/** "::ffff:127.0.0.1", as a dual-stack socket reports an IPv4 peer, is 127.0.0.1 to a subnet list. */
function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

/** "192.0.2.1:4711" and "[2001:db8::1]:4711" (some proxies add the port) to the bare address. */
function stripPort(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed) return bracketed[1]!;
  const v4port = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(entry);
  return v4port ? v4port[1]! : entry;
}
