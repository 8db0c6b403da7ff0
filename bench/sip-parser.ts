/**
 * SIP message-layer benchmark (`npx tsx bench/sip-parser.ts [iterations]`): parses and re-serializes a
 * typical INVITE with an SDP offer and a 200 OK through a proxy (two Vias, Record-Route), N times each,
 * in one process, and prints messages per second for parse, serialize, and both. A message here is one
 * INVITE or one 200 OK; "parse + serialize" counts each message once. Every parse runs the full edge
 * validation (start line, Via, From, To, Call-ID, CSeq, Max-Forwards, Contact, Record-Route).
 * Records its headline (parse + serialize per second; no peer: it runs inside our process) for `npm run bench`.
 */
import os from "node:os";
import { performance } from "node:perf_hooks";
import { parseMessage, serialize, type SipMessage } from "../media/src/sip/index.ts";
import { INVITE, OK_200 } from "../media/src/sip/test-fixtures.ts";
import { writeHeadlines } from "./lib/headlines.ts";

const iterations = Number(process.argv[2] ?? 200_000);
if (!Number.isInteger(iterations) || iterations <= 0) throw new Error("usage: tsx bench/sip-parser.ts [iterations]");
const inputs = [INVITE, OK_200];

type Step = (buf: Buffer, parsed: SipMessage) => unknown;

function run(n: number, step: Step, parsed: SipMessage[]): number {
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < inputs.length; k++) {
      const out = step(inputs[k]!, parsed[k]!);
      sink += out === undefined ? 0 : 1;
    }
  }
  const ms = performance.now() - t0;
  if (sink !== n * inputs.length) throw new Error("benchmark step returned nothing");
  return (n * inputs.length) / (ms / 1000);
}

const parsed = inputs.map((b) => parseMessage(b));
for (const m of parsed) {
  if (!serialize(m).equals(inputs[parsed.indexOf(m)]!)) throw new Error("fixture does not round-trip byte for byte");
}

const parseOnly = (buf: Buffer) => parseMessage(buf);
const serializeOnly = (_: Buffer, msg: SipMessage) => serialize(msg);
const both = (buf: Buffer) => serialize(parseMessage(buf));

// Warm-up so the figures are of optimized code, then three timed rounds; the best round is reported.
run(Math.min(20_000, iterations), both, parsed);
const best = (f: Step) => Math.max(...[0, 1, 2].map(() => run(iterations, f, parsed)));
const results = { parse: best(parseOnly), serialize: best(serializeOnly), "parse + serialize": best(both) };

const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
console.log(`SIP message layer, ${iterations.toLocaleString("en-US")} x (INVITE ${INVITE.length} B + 200 OK ${OK_200.length} B)`);
console.log(`Node ${process.version}, ${os.cpus()[0]?.model ?? "unknown CPU"}, ${os.cpus().length} cores`);
for (const [name, perSecond] of Object.entries(results)) {
  console.log(`  ${name.padEnd(18)} ${fmt(perSecond).padStart(10)} messages/s  (${(1e6 / perSecond).toFixed(2)} µs/message)`);
}
// only the default run's figure is a headline: a run with other iterations is not comparable with it
if (process.argv[2] === undefined) {
  writeHeadlines("sip-parser", [
    { figure: "SIP messages parsed + serialized per second (INVITE with SDP, 200 OK via a proxy; one core)", ours: `${fmt(results["parse + serialize"])}/s` },
  ]);
}
