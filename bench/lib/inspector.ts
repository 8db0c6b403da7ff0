/**
 * A minimal client of the V8 inspector (the Chrome DevTools protocol over a WebSocket) of a Node process
 * started with `--inspect=127.0.0.1:PORT`: enough to force a full garbage collection in the focus and read
 * its memory, so that a memory benchmark compares live data rather than whatever garbage the collector had
 * not yet reclaimed. The focus needs no code for it (nor `--expose-gc`). The soak test uses it too.
 */
import WebSocket from "ws";

export class InspectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InspectorError";
  }
}

/** process.memoryUsage() of the inspected process, in bytes */
export interface MemoryUsage {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (msg.id === undefined) return; // an event: none enabled, none expected
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new InspectorError(msg.error.message));
      else p.resolve(msg.result);
    });
    ws.on("close", () => {
      for (const p of this.pending.values()) p.reject(new InspectorError("inspector connection closed"));
      this.pending.clear();
    });
  }

  /** Connects to the inspector listening on 127.0.0.1:`port` (its first target: the main thread). */
  static async connect(port: number, timeoutMs = 10_000): Promise<Inspector> {
    const deadline = Date.now() + timeoutMs;
    let url: string | undefined;
    while (!url) {
      try {
        const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl?: string }[];
        url = targets[0]?.webSocketDebuggerUrl;
      } catch {
        // not listening yet
      }
      if (!url) {
        if (Date.now() > deadline) throw new InspectorError(`no inspector on 127.0.0.1:${port} in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return Inspector.connectUrl(url);
  }

  /** Connects to the inspector's WebSocket URL (as `--inspect` prints it: "Debugger listening on ws://…"). */
  static async connectUrl(url: string): Promise<Inspector> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", (err) => reject(new InspectorError(`inspector ${url}: ${err.message}`)));
    });
    return new Inspector(ws);
  }

  call<T = unknown>(method: string, params: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new InspectorError(`${method}: no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** A full, compacting collection of the whole heap (what `global.gc()` does under --expose-gc). */
  async collectGarbage(): Promise<void> {
    await this.call("HeapProfiler.collectGarbage");
  }

  async memoryUsage(): Promise<MemoryUsage> {
    const r = await this.call<{ result: { value?: string }; exceptionDetails?: { text: string } }>("Runtime.evaluate", {
      expression: "JSON.stringify(process.memoryUsage())",
      returnByValue: true,
    });
    if (r.exceptionDetails || typeof r.result.value !== "string") throw new InspectorError(`process.memoryUsage() failed: ${r.exceptionDetails?.text ?? "no value"}`);
    return JSON.parse(r.result.value) as MemoryUsage;
  }

  close(): void {
    this.ws.close();
  }
}
