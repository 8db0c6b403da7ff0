/**
 * Fuzzing what the federation reads from the XMPP server: stanza text through the same streaming XML
 * parser the component connection uses (guarded as in production, xmpp/parser-guard.ts), then the
 * federation codec (decodeWire, wireToEvent) and the bounce reader (stanzaError). The contract: malformed
 * XML is the parser's XMLError event, a malformed payload a WireError with a stable code; nothing throws
 * anything else, whatever the bytes and however the stream is cut. Generated payloads survive
 * encode -> serialize -> parse -> decode. The budget comes from fuzz/support (FUZZ_RUNS, FUZZ_SECONDS, FUZZ_SEED).
 */
import { createRequire } from "node:module";
import fc from "fast-check";
import { xml, type Element } from "@xmpp/component";
import { cuts, fuzzTarget, loadCorpus, loadRegressions, mutatedText, orRefusal, split } from "../../fuzz/support/index.ts";
import { decodeWire, encodeWire, FEDERATION_NS, WireError, WireErrorCode, wireToEvent, type WireMessage, type XmlElementLike } from "./wire.ts";
import { El } from "./test-xml.ts";
import { stanzaError } from "./xmpp/component-link.ts";
import { guardedParserClass, type XmlStreamParserClass } from "./xmpp/parser-guard.ts";

const target = fuzzTarget("xmpp", 3);
const CODES = new Set<string>(Object.values(WireErrorCode));
const isTyped = (err: unknown) => err instanceof WireError && CODES.has(err.code);
const CONF = "0b5f3b4e-8a43-4c1a-9d0e-2b7c7f0e9a11";

// The connection's parser class: @xmpp/xml, which @xmpp/component brings (and ships no types for).
const BaseParser = (createRequire(import.meta.url)("@xmpp/xml") as { Parser: XmlStreamParserClass }).Parser;
const Parser = guardedParserClass(BaseParser);

const STREAM_OPEN = "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' from='island-a.test' id='s1'>";

interface Parsed {
  stanzas: Element[];
  errors: Error[];
}

/** Feeds `chunks` to a fresh parser as the connection does; a throw escapes (that is the failure). */
function parseStream(chunks: readonly string[]): Parsed {
  const parser = new Parser();
  const out: Parsed = { stanzas: [], errors: [] };
  parser.on("element", (el: Element) => out.stanzas.push(el));
  parser.on("error", (err: Error) => out.errors.push(err));
  for (const chunk of chunks) parser.write(chunk);
  for (const err of out.errors) expect(err.name).toBe("XMLError");
  return out;
}

/** What the service does with each stanza: bounces are read, federation payloads decoded (events to domain events). */
function receive(stanza: Element): WireMessage[] {
  stanzaError(stanza);
  const got: WireMessage[] = [];
  for (const child of stanza.getChildElements().filter((c) => c.attrs.xmlns === FEDERATION_NS)) {
    const msg = orRefusal(() => decodeWire(child as XmlElementLike), isTyped);
    if (msg === null) continue;
    if (msg.kind === "event") orRefusal(() => wireToEvent(msg), isTyped);
    got.push(msg);
  }
  return got;
}

const SEEDS = loadCorpus("xmpp").map((e) => e.bytes.toString("utf8"));
const MUTATIONS = {
  tokens: ["<", ">", "/>", "</", "&", "&amp;", "&lt;", "&#0;", "&#x1F600;", "&foo;", "&#xD800;", "\"", "'", "=", " ", "<![CDATA[", "]]>", "<!--", "-->", "<?xml?>", "xmlns=", "urn:xmpp:dcon:federation:1", "\0", "é", "\uFFFE"],
};

const b64sig = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("base64"));
const origin = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\.[a-z0-9]{1,8}){0,2}$/);
const seq = fc.integer({ min: 1, max: 999_999_999_999_999 });
const body = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? "null");
const callId = fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/);
const wireMessage: fc.Arbitrary<WireMessage> = fc.oneof(
  fc.record({ kind: fc.constant("event" as const), origin, conference: fc.uuid(), seq, body, sig: b64sig }),
  fc.record({ kind: fc.constantFrom("request" as const, "response" as const), origin, id: callId, body, sig: b64sig }),
  fc.record({ kind: fc.constant("ack" as const), origin, conference: fc.uuid(), seq }),
  fc.record({ kind: fc.constant("replay" as const), origin, conference: fc.uuid(), since: fc.integer({ min: 0, max: 999_999_999_999_999 }) }),
);

describe("fuzz: federation payloads over XMPP", () => {
  it("the seed corpus parses to stanzas whose federation payloads decode", () => {
    for (const seed of SEEDS) {
      const { stanzas, errors } = parseStream([STREAM_OPEN, seed]);
      expect(errors).toEqual([]);
      expect(stanzas).toHaveLength(1);
      receive(stanzas[0]!);
    }
  });

  it("generated payloads survive encode -> serialize -> parse (cut anywhere) -> decode", () => {
    const arb = fc.array(wireMessage, { minLength: 1, maxLength: 3 }).chain((msgs) => {
      const text = xml("message", { from: "focus.island-b.test", to: "focus.island-a.test" }, ...msgs.map((m) => encodeWire(m, xml))).toString();
      return fc.tuple(fc.constant(msgs), fc.constant(text), cuts(text.length, 6));
    });
    target.check("generated round-trip", arb, ([msgs, text, at]) => {
      const chunks = [STREAM_OPEN, ...split(Buffer.from(text, "latin1"), at).map((c) => c.toString("latin1"))];
      const { stanzas, errors } = parseStream(chunks);
      expect(errors).toEqual([]);
      expect(stanzas.flatMap(receive)).toEqual(msgs);
    }, 500);
  }, target.timeoutMs);

  it("mutants of real stanzas, cut anywhere: stanzas, XMLError or WireError, never another exception", () => {
    const arb = fc.array(mutatedText(SEEDS, MUTATIONS), { minLength: 1, maxLength: 3 }).chain((parts) => {
      const text = parts.join("");
      return fc.tuple(fc.constant(text), cuts(text.length, 6));
    });
    target.check("mutated stanzas", arb, ([text, at]) => {
      // Cut by characters, as the connection decodes each chunk to a string before parsing.
      let prev = 0;
      const chunks = [STREAM_OPEN, ...[...at, text.length].map((c) => text.slice(prev, (prev = c)))];
      const { stanzas } = parseStream(chunks);
      for (const s of stanzas) receive(s);
    }, 2500);
  }, target.timeoutMs);

  it("random elements and attributes never throw anything but WireError", () => {
    const attrs = fc.dictionary(fc.constantFrom("xmlns", "origin", "conference", "seq", "since", "sig", "id", "x"), fc.oneof(fc.string(), fc.constant(FEDERATION_NS), fc.constant(CONF), fc.constant("7"), fc.constant("island-a.test")));
    const el = fc.tuple(fc.constantFrom("event", "ack", "replay", "request", "response", "iq", ""), attrs, fc.array(fc.oneof(fc.string(), fc.constant(new El("x", {})))));
    target.check("random elements", el, ([name, a, children]) => {
      const m = orRefusal(() => decodeWire(new El(name, a, children)), isTyped);
      if (m?.kind === "event") orRefusal(() => wireToEvent(m), isTyped);
    }, 2000);
  }, target.timeoutMs);
});

describe("fuzz regressions: XMPP stream text that once broke the federation link", () => {
  const regressions = loadRegressions("xmpp");
  it("the regression corpus is readable", () => expect(Array.isArray(regressions)).toBe(true));
  for (const { name, bytes } of regressions) {
    it(`${name}: stanzas or an XMLError, whole or cut in two`, () => {
      const text = bytes.toString("utf8");
      for (const chunks of [[text], [text.slice(0, text.length >> 1), text.slice(text.length >> 1)]]) {
        const { stanzas } = parseStream([STREAM_OPEN, ...chunks]);
        for (const s of stanzas) receive(s);
      }
    });
  }
});
