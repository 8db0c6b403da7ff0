/**
 * The XML the XMPP server sends over the component socket, malformed: the link must report a problem and
 * reconnect, never take the process down. Before parser-guard.ts, an undefined entity or a forbidden
 * character reference in a stanza was thrown from the socket's "data" listener (an uncaught exception).
 * A minimal XEP-0114 server on loopback speaks the handshake, then sends each regression input from
 * fuzz/corpus/xmpp/regressions/ and a few generated malformed stanzas.
 */
import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import net from "node:net";
import fc from "fast-check";
import { loadRegressions } from "../../../fuzz/support/index.ts";
import { ComponentLink, type ComponentLinkError } from "./component-link.ts";
import { guardedParserClass, type XmlStreamParserClass } from "./parser-guard.ts";

const SECRET = "component secret";
const JID = "focus.island-a.test";

/** A XEP-0114 server: answers the stream header and the handshake, then writes `payload` once. */
async function fakeServer(payload: string): Promise<{ port: number; close: () => Promise<void>; connections: () => number }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    const id = `s${connections}`;
    let seen = "";
    socket.on("data", (d) => {
      seen += d.toString("utf8");
      if (seen.includes("<stream:stream") && !seen.includes("opened")) {
        seen += "opened";
        socket.write(`<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept' id='${id}' from='${JID}'>`);
      }
      const expected = createHash("sha1").update(id + SECRET).digest("hex");
      if (seen.includes(`<handshake>${expected}</handshake>`) && !seen.includes("done")) {
        seen += "done";
        // the handshake answer and the malformed input in separate writes, as a server would
        socket.write("<handshake/>", () => setTimeout(() => socket.write(payload), 20));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 10));
  }
}

const malformed = [
  ...loadRegressions("xmpp").map((e) => ({ name: e.name, text: e.bytes.toString("utf8") })),
  { name: "a mismatched end tag", text: "<message from='a.test' to='focus.island-a.test'><x></y></message>" },
];

describe("the component link under malformed XML from the server", () => {
  it.each(malformed)("$name: a problem is reported and the link reconnects; nothing is thrown", async ({ text }) => {
    const server = await fakeServer(text);
    const link = new ComponentLink({ service: `xmpp://127.0.0.1:${server.port}`, componentJid: JID, secret: SECRET, reconnectDelayMs: 50 });
    const problems: ComponentLinkError[] = [];
    link.on("problem", (e) => problems.push(e));
    try {
      await link.start({ timeoutMs: 10_000 });
      // The stream is torn down (the malformed XML) and opened again: a second connection shows it.
      await until(() => server.connections() >= 2 && problems.length > 0);
      expect(problems.map((p) => p.code)).toContain("protocol");
    } finally {
      await link.close();
      await server.close();
    }
  });
});

describe("fuzz: the guarded parser class", () => {
  /** A stand-in for the ltx tokenizer: throws a plain Error on "&" as ltx does on an undefined entity. */
  class Tokenizer extends EventEmitter {
    static XMLError = class XMLError extends Error {
      override name = "XMLError";
    };
    static writes = 0;
    write(data: string): void {
      Tokenizer.writes++;
      if (data.includes("&")) throw new Error(`Illegal XML entity in ${data}`);
      this.emit("text", data);
    }
    end(): void {}
  }
  const Guarded = guardedParserClass(Tokenizer as unknown as XmlStreamParserClass);

  it("any sequence of chunks: write never throws, a failure is one XMLError event, and nothing is parsed after it", () => {
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 6 }), { maxLength: 8 }), (chunks) => {
      const parser = new Guarded();
      const errors: Error[] = [];
      parser.on("error", (e: Error) => errors.push(e));
      Tokenizer.writes = 0;
      for (const c of chunks) parser.write(c);
      const first = chunks.findIndex((c) => c.includes("&"));
      expect(errors.map((e) => e.name)).toEqual(first < 0 ? [] : ["XMLError"]);
      expect(Tokenizer.writes).toBe(first < 0 ? chunks.length : first + 1);
    }), { numRuns: 300 });
  });
});
