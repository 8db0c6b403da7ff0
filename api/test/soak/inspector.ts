/**
 * A minimal client of the V8 inspector protocol, for one thing: forcing a full garbage collection in the
 * focus before a heap sample. heapUsed read at a random moment is a sawtooth (garbage piles up between
 * collections); after a full GC it is what is still reachable, which is what a leak makes grow. The focus
 * is started with --inspect on a loopback port chosen by the kernel, so no endpoint had to be added to it.
 */
import WebSocket from "ws";

export class InspectorError extends Error {
  override readonly name = "InspectorError";
}

export class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
      const p = msg.id === undefined ? undefined : this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id!);
      if (msg.error) p.fail(new InspectorError(msg.error.message));
      else p.ok(msg.result);
    });
    ws.on("close", () => {
      for (const p of this.pending.values()) p.fail(new InspectorError("inspector connection closed"));
      this.pending.clear();
    });
  }

  static async connect(url: string): Promise<Inspector> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", (err) => reject(new InspectorError(`cannot reach the focus' inspector: ${err.message}`)));
    });
    return new Inspector(ws);
  }

  private call(method: string, params: object = {}, timeoutMs = 10_000): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        fail(new InspectorError(`${method}: no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        ok: (v) => (clearTimeout(timer), ok(v)),
        fail: (e) => (clearTimeout(timer), fail(e)),
      });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** A full (mark-compact) collection of the whole heap. */
  async collectGarbage(): Promise<void> {
    await this.call("HeapProfiler.collectGarbage");
  }

  close(): void {
    this.ws.close();
  }
}
