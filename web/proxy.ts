/**
 * Signed-out visitors go to the sign-in page before any page renders. This only looks for the cookie;
 * whether its token still works is checked by every page against the focus (lib/session.ts).
 */
import { NextResponse, type NextRequest } from "next/server";
import { SESSION_COOKIE_NAME } from "./lib/cookie-names";

export function proxy(request: NextRequest): NextResponse {
  if (request.cookies.has(SESSION_COOKIE_NAME)) return NextResponse.next();
  // a stream or a download answers with a status; a page sends the visitor to sign in
  if (/\/(live|ics)$/.test(request.nextUrl.pathname)) return new NextResponse("sign in first", { status: 401 });
  return NextResponse.redirect(new URL("/sign-in", request.url));
}

export const config = {
  // everything but the sign-in page and Next's own assets
  matcher: ["/((?!sign-in|_next/|favicon.ico).*)"],
};
