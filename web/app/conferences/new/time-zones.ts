import "server-only";

/** The IANA zones the server knows, with the current one kept even where Intl leaves it out (Node lists no "UTC"). */
export function timeZoneChoices(current: string): string[] {
  const zones = new Set(Intl.supportedValuesOf("timeZone"));
  zones.add("UTC");
  zones.add(current);
  return [...zones].sort((a, b) => a.localeCompare(b));
}
