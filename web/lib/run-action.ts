import "server-only";
import { revalidatePath } from "next/cache";
import { plainError } from "./focus";
import type { ActionResult } from "./action-result";

/** Runs a server action's GraphQL work and turns a failure into words; `revalidate` refreshes a page. */
export async function runAction(work: () => Promise<string | void>, revalidate?: string): Promise<ActionResult> {
  try {
    const message = await work();
    if (revalidate) revalidatePath(revalidate);
    return message ? { ok: true, message } : { ok: true };
  } catch (err) {
    return { error: plainError(err) };
  }
}
