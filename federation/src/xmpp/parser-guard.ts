/**
 * Keeps malformed XML from the XMPP server a stream error instead of a crash.
 *
 * @xmpp/connection feeds each socket chunk to its streaming parser from the socket's "data" listener, and
 * expects failures as the parser's "error" event (it then sends <bad-format/> and closes, RFC 6120
 * section 4.9.3.1). But the ltx tokenizer under @xmpp/xml 0.13 *throws* on an undefined entity
 * (`&foo;`) or a character reference to a character XML forbids (`&#0;`, XML 1.0 section 2.2), and a
 * throw from a "data" listener is an uncaught exception: the process dies. After an "error" the
 * connection also drops its parser (and its listeners) while the tokenizer may go on with the same chunk
 * and emit another "error", which EventEmitter throws for want of a listener; and the socket may still
 * deliver a chunk, which the connection would then hand to `null`. Found by fuzzing the federation
 * payloads and by a server sending malformed XML (fuzz/corpus/xmpp/regressions/, parser-guard-fuzz.test.ts).
 *
 * The guard subclasses the entity's parser class (the public `Parser` the connection instantiates per
 * stream) so that a throw becomes the XMLError event the connection already handles, once, and makes a
 * chunk that arrives after the parser was dropped a no-op.
 */
import type { EventEmitter } from "node:events";

/** @xmpp/xml's streaming parser, as the connection drives it. */
export interface XmlStreamParser extends EventEmitter {
  write(data: string): void;
  end(data?: string): void;
}

export interface XmlStreamParserClass {
  new (): XmlStreamParser;
  /** @xmpp/xml's error class for malformed XML */
  XMLError?: new (message: string) => Error;
}

/** The parts of an @xmpp connection (Component) the guard replaces. */
export interface GuardableConnection {
  Parser: XmlStreamParserClass;
  parser: XmlStreamParser | null;
  _onData?: (data: Buffer | string) => void;
}

/**
 * A parser class that reports malformed XML once, as an XMLError "error" event, and then ignores its
 * input. A throw from the tokenizer becomes that event; so does a second "error" the tokenizer emits for
 * the rest of the same chunk (`<x></y></z>` is two mismatches), which would otherwise meet a parser whose
 * listeners the connection has just removed, and EventEmitter throws an "error" nobody listens to.
 */
export function guardedParserClass(Base: XmlStreamParserClass): XmlStreamParserClass {
  const XMLError = Base.XMLError ?? Error;
  class GuardedParser extends (Base as new () => XmlStreamParser) {
    static XMLError = XMLError;
    private failed = false;

    override write(data: string): void {
      if (this.failed) return;
      try {
        super.write(data);
      } catch (err) {
        this.emit("error", err instanceof XMLError ? err : new XMLError(err instanceof Error ? err.message : String(err)));
      }
    }

    /** @xmpp/xml's end(data) writes to the tokenizer directly: route it through the guarded write. */
    override end(data?: string): void {
      if (data) this.write(data);
    }

    override emit(event: string | symbol, ...args: unknown[]): boolean {
      if (event === "error") {
        if (this.failed) return false;
        this.failed = true;
        if (this.listenerCount("error") === 0) return false;
      } else if (this.failed) {
        return false;
      }
      return super.emit(event, ...args);
    }
  }
  return GuardedParser;
}

/** Installs the guard on a connection before it starts (the parser is created when the stream opens). */
export function guardConnectionParser(connection: GuardableConnection): void {
  connection.Parser = guardedParserClass(connection.Parser);
  const onData = connection._onData;
  if (typeof onData === "function") {
    connection._onData = function (this: GuardableConnection, data: Buffer | string): void {
      if (this.parser) onData.call(this, data);
    };
  }
}
