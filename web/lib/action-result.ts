/** What every server action returns: nothing on success, or a message for people. */
export type ActionResult = { error: string } | { ok: true; message?: string };
