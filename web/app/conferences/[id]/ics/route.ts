/**
 * The conference's iCalendar file, fetched from the focus with the session's token: the browser cannot
 * fetch it itself, since the token never leaves the portal's server.
 */
import { FOCUS_URL, FocusError, gql } from "@/lib/focus";
import { currentSession } from "@/lib/session";

export const dynamic = "force-dynamic";

const STATUS: Record<string, number> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, BAD_USER_INPUT: 400 };

const text = (status: number, message: string) => new Response(message, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

export async function GET(_request: Request, ctx: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await ctx.params;
  const session = await currentSession();
  if (!session) return text(401, "Sign in to the portal first.");
  let icsPath: string;
  try {
    icsPath = (await gql<{ conference: { icsPath: string } }>(session.token, `query ($id: ID!) { conference(id: $id) { icsPath } }`, { id })).conference.icsPath;
  } catch (err) {
    if (err instanceof FocusError) return text(STATUS[err.code] ?? 502, err.message);
    return text(502, "The focus could not be asked for the calendar file.");
  }
  let res: Response;
  try {
    res = await fetch(`${FOCUS_URL}${icsPath}`, { headers: { authorization: `Bearer ${session.token}` }, cache: "no-store" });
  } catch {
    return text(502, `The focus at ${FOCUS_URL} cannot be reached. Is it running?`);
  }
  if (!res.ok) {
    let message = await res.text();
    try {
      message = (JSON.parse(message) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      // not JSON: the body is the message
    }
    return text(res.status, message);
  }
  const headers = new Headers({ "cache-control": "private, no-store" });
  for (const h of ["content-type", "content-disposition"]) {
    const value = res.headers.get(h);
    if (value) headers.set(h, value);
  }
  return new Response(res.body, { status: 200, headers });
}
