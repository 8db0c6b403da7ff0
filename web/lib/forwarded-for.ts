/**
 * The browser's address as the portal saw it, to forward to the focus (X-Forwarded-For), whose per-address
 * limits would otherwise count every user of the portal as the portal itself. Next fills X-Forwarded-For
 * with the browser's socket address when a request came without one; behind a proxy it is that proxy's
 * list, whose last entry is the address the proxy saw. Only that last entry is forwarded: anything further
 * left was written by the client and is its own claim. null when there is no usable address.
 */
import { isIP } from "node:net";

export function browserAddressFrom(forwardedFor: string | null | undefined): string | null {
  const last = (forwardedFor ?? "").split(",").pop()!.trim();
  const bare = /^\[([^\]]+)\](?::\d+)?$/.exec(last)?.[1] ?? /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(last)?.[1] ?? last;
  return isIP(bare) !== 0 ? bare : null;
}
