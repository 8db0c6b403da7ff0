import "server-only";
import { cookies } from "next/headers";
import { DateTime, IANAZone } from "luxon";

/** The zone pages show times in: the browser's (sent once by TimeZoneCookie), else UTC. */
export async function displayZone(): Promise<string> {
  const z = (await cookies()).get("dcon_tz")?.value;
  return z && IANAZone.isValidZone(z) ? z : "UTC";
}

export function formatWhen(iso: string, zone: string): string {
  return DateTime.fromISO(iso, { zone }).toFormat("ccc d LLL yyyy, HH:mm");
}
