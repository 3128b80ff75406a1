import assert from "node:assert/strict";
import { test } from "node:test";

import { TransportError } from "../src/runtime/errors.js";
import { JsonlDecoder } from "../src/runtime/jsonl.js";

const encoder = new TextEncoder();

function decodeInPieces(bytes: Uint8Array, cuts: number[]): string[] {
  const decoder = new JsonlDecoder();
  const lines: string[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    lines.push(...decoder.push(bytes.subarray(start, cut)));
    start = cut;
  }
  return [...lines, ...decoder.end()];
}

test("a message split at every byte position, including inside multi-byte characters, decodes intact", () => {
  const messages = [{ text: "héllo wörld 🌍" }, { text: "日本語 ✓" }];
  const bytes = encoder.encode(messages.map((m) => JSON.stringify(m) + "\n").join(""));
  for (let cut = 1; cut < bytes.length; cut++) {
    const lines = decodeInPieces(bytes, [cut]);
    assert.deepEqual(lines.map((l) => JSON.parse(l) as unknown), messages, `cut at byte ${cut}`);
  }
});

test("one byte at a time decodes the same as one chunk", () => {
  const text = '{"a":"🌍🌍"}\n{"b":"ü"}\n';
  const bytes = encoder.encode(text);
  const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
  assert.deepEqual(decodeInPieces(bytes, cuts), ['{"a":"🌍🌍"}', '{"b":"ü"}']);
});

test("CRLF line ends and blank lines are tolerated", () => {
  const decoder = new JsonlDecoder();
  assert.deepEqual(decoder.push(encoder.encode('{"a":1}\r\n\r\n\n{"b":2}\r')), ['{"a":1}']);
  assert.deepEqual(decoder.push(encoder.encode("\n")), ['{"b":2}']);
});

test("a last line without a newline is delivered at end of stream", () => {
  const decoder = new JsonlDecoder();
  assert.deepEqual(decoder.push(encoder.encode('{"a":1}\n{"b":')), ['{"a":1}']);
  assert.deepEqual(decoder.push(encoder.encode("2}")), []);
  assert.deepEqual(decoder.end(), ['{"b":2}']);
});

test("a line longer than the limit is an error, not unbounded buffering", () => {
  const decoder = new JsonlDecoder(16);
  assert.deepEqual(decoder.push(encoder.encode('{"short":1}\n')), ['{"short":1}']);
  assert.throws(() => decoder.push(encoder.encode('{"long":"' + "x".repeat(20))), TransportError);
});
