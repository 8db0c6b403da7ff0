/**
 * Whose request is this: the address rate limits are keyed by. By default the TCP peer's address, since
 * anyone can write an X-Forwarded-For header. Behind reverse proxies that each append the address they
 * received the request from (the de-facto X-Forwarded-For convention; RFC 7239 section 5.2 describes the
 * same for `Forwarded: for=`), TRUST_PROXY=<n> says there are n of them: the client is the n-th entry from
 * the right, the one our nearest trusted proxy saw. Entries further left were written by the client
 * itself and are never believed.
 */
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

/** Stands for a request whose peer address is unknown (a socket already gone): one shared key. */
export const UNKNOWN_ADDRESS = "unknown";

export function clientAddress(req: Pick<IncomingMessage, "headers" | "socket">, trustedProxies: number): string {
  const peer = req.socket?.remoteAddress ?? UNKNOWN_ADDRESS;
  if (trustedProxies <= 0) return peer;
  const header = req.headers["x-forwarded-for"];
  const entries = (Array.isArray(header) ? header.join(",") : header ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  // Fewer entries than proxies: the request reached us past some of them; the leftmost is as far as we can see.
  const entry = entries.length === 0 ? null : entries[Math.max(0, entries.length - trustedProxies)]!;
  const address = entry === null ? null : stripPort(entry);
  return address !== null && isIP(address) !== 0 ? address : peer;
}

/** "192.0.2.1:4711" and "[2001:db8::1]:4711" (some proxies add the port) to the bare address. */
function stripPort(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed) return bracketed[1]!;
  const v4port = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(entry);
  return v4port ? v4port[1]! : entry;
}
