/**
 * The live room's event stream, relayed: the portal's server subscribes to the focus (graphql-ws, with the
 * session's token) and passes each item to the browser as Server-Sent Events. The token never reaches the
 * browser, and EventSource reconnects by itself; a reconnect starts with a full state again (RFC 4575
 * semantics), so the page never has to patch over a gap.
 */
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { FOCUS_URL } from "@/lib/focus";
import { EVENT_FIELDS, STATE_FIELDS, type LiveItem } from "@/lib/model";
import { currentSession } from "@/lib/session";

export const dynamic = "force-dynamic";

const SUBSCRIPTION = `subscription ($id: ID!) { conferenceEvents(conferenceId: $id) { kind state { ${STATE_FIELDS} } event { ${EVENT_FIELDS} } } }`;
/** comments keep proxies and the browser from closing an idle stream */
const HEARTBEAT_MS = 15_000;

export async function GET(request: Request, ctx: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await ctx.params;
  const session = await currentSession();
  if (!session) return new Response("sign in first", { status: 401 });
  const encoder = new TextEncoder();
  let cleanup = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      const send = (item: LiveItem | null, comment?: string) => {
        if (closed) return;
        controller.enqueue(encoder.encode(item ? `data: ${JSON.stringify(item)}\n\n` : `: ${comment}\n\n`));
      };
      const client = createClient({
        url: FOCUS_URL.replace(/^http/, "ws") + "/graphql",
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${session.token}` },
        retryAttempts: 0,
        lazy: true,
      });
      const heartbeat = setInterval(() => send(null, "keep-alive"), HEARTBEAT_MS);
      cleanup = () => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        unsubscribe();
        void client.dispose();
        try {
          controller.close();
        } catch {
          // already closed by the browser
        }
      };
      const unsubscribe = client.subscribe<{ conferenceEvents: { kind: string; state: unknown; event: unknown } }>(
        { query: SUBSCRIPTION, variables: { id } },
        {
          next: (r) => {
            if (r.errors?.length) {
              send({ kind: "ERROR", message: r.errors[0]!.message });
              return;
            }
            const item = r.data?.conferenceEvents;
            if (!item) return;
            send(item.kind === "FULL_STATE" ? { kind: "FULL_STATE", state: item.state as never } : { kind: "EVENT", event: item.event as never });
          },
          error: (err) => {
            const message = Array.isArray(err) ? err[0]?.message : err instanceof Error ? err.message : "the focus closed the event stream";
            send({ kind: "ERROR", message: message ?? "the focus closed the event stream" });
            cleanup();
          },
          complete: () => cleanup(),
        },
      );
      send(null, "connected");
      request.signal.addEventListener("abort", () => cleanup());
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store, no-transform", "x-accel-buffering": "no" },
  });
}
