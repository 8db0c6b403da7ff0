/**
 * The portal's only way to the focus: GraphQL over HTTP from the portal's server, with the signed-in
 * moderator's token from the session cookie. The browser never sees the token (it lives in an http-only
 * cookie), so every call goes through here: server components, server actions and the live-event route.
 */
import "server-only";
import { headers } from "next/headers";
import { browserAddressFrom } from "./forwarded-for";

export const FOCUS_URL = (process.env.FOCUS_URL ?? "http://127.0.0.1:4000").replace(/\/$/, "");

/** A GraphQL error in plain words, with the API's stable code (UNAUTHENTICATED, FORBIDDEN, CONFLICT, ...). */
export class FocusError extends Error {
  override readonly name = "FocusError";
  constructor(readonly code: string, message: string, readonly reason?: string) {
    super(message);
  }
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; reason?: string } }[];
}

/** The browser's address, for the focus' per-address limits (see ./forwarded-for.ts); null outside a request. */
async function browserAddress(): Promise<string | null> {
  try {
    return browserAddressFrom((await headers()).get("x-forwarded-for"));
  } catch {
    return null; // not within a request: nothing to forward
  }
}

export async function gql<T>(token: string | null, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const address = await browserAddress();
  let res: Response;
  try {
    res = await fetch(`${FOCUS_URL}/graphql`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(address ? { "x-forwarded-for": address } : {}),
      },
      body: JSON.stringify({ query, variables }),
      cache: "no-store",
    });
  } catch {
    throw new FocusError("FOCUS_UNREACHABLE", `The focus at ${FOCUS_URL} cannot be reached. Is it running?`);
  }
  let body: GraphQLResponse<T>;
  try {
    body = (await res.json()) as GraphQLResponse<T>;
  } catch {
    throw new FocusError("BAD_RESPONSE", `The focus answered ${res.status} without a GraphQL response.`);
  }
  const first = body.errors?.[0];
  if (first) throw new FocusError(first.extensions?.code ?? "INTERNAL", first.message, first.extensions?.reason);
  if (!body.data) throw new FocusError("BAD_RESPONSE", "The focus sent no data.");
  return body.data;
}

/** What a form or button shows when a call fails: the API's own message, which is written for people. */
export function plainError(err: unknown): string {
  if (err instanceof FocusError) return err.message;
  return "Something went wrong on the portal's server; the details are in its log.";
}
