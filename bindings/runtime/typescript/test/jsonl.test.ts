import assert from "node:assert/strict";
import { test } from "node:test";

import { JsonlDecoder, type Line } from "../src/jsonl.js";

const encoder = new TextEncoder();

function texts(lines: Line[]): string[] {
  return lines.map((line) => (line.kind === "line" ? line.text : `<oversized ${line.size}>`));
}

function decodeInPieces(bytes: Uint8Array, cuts: number[], decoder = new JsonlDecoder()): string[] {
  const lines: Line[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    lines.push(...decoder.push(bytes.subarray(start, cut)));
    start = cut;
  }
  return texts([...lines, ...decoder.end()]);
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
  const bytes = encoder.encode('{"a":"🌍🌍"}\n{"b":"ü"}\n');
  const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
  assert.deepEqual(decodeInPieces(bytes, cuts), ['{"a":"🌍🌍"}', '{"b":"ü"}']);
});

test("CRLF line ends and blank lines are tolerated", () => {
  const decoder = new JsonlDecoder();
  assert.deepEqual(texts(decoder.push(encoder.encode('{"a":1}\r\n\r\n\n{"b":2}\r'))), ['{"a":1}']);
  assert.deepEqual(texts(decoder.push(encoder.encode("\n"))), ['{"b":2}']);
});

test("a last line without a newline is delivered at end of stream", () => {
  const decoder = new JsonlDecoder();
  assert.deepEqual(texts(decoder.push(encoder.encode('{"a":1}\n{"b":'))), ['{"a":1}']);
  assert.deepEqual(decoder.push(encoder.encode("2}")), []);
  assert.deepEqual(texts(decoder.end()), ['{"b":2}']);
});

test("the limit counts bytes: a line of exactly the limit in multi-byte characters passes", () => {
  const line = '"' + "é".repeat(7) + '"'; // 16 bytes, 9 characters
  assert.equal(encoder.encode(line).length, 16);
  assert.deepEqual(decodeInPieces(encoder.encode(line + "\n"), [3, 9], new JsonlDecoder(16)), [line]);
  assert.deepEqual(decodeInPieces(encoder.encode('"' + "é".repeat(8) + '"\n'), [5], new JsonlDecoder(16)), ["<oversized 18>"]);
});

test("an oversized line is skipped without being kept whole; its head identifies it; the next line is intact", () => {
  const decoder = new JsonlDecoder(64);
  const big = JSON.stringify({ jsonrpc: "2.0", id: 7, result: { blob: "x".repeat(10_000) } });
  const bytes = encoder.encode(`${big}\n{"after":true}\n`);
  const lines: Line[] = [];
  for (let i = 0; i < bytes.length; i += 100) lines.push(...decoder.push(bytes.subarray(i, i + 100)));
  assert.equal(lines.length, 2);
  const [first, second] = lines;
  assert.ok(first?.kind === "oversized");
  assert.equal(first.size, big.length);
  assert.ok(first.head.startsWith('{"jsonrpc":"2.0","id":7,'), first.head.slice(0, 40));
  assert.ok(first.head.length <= 4096);
  assert.deepEqual(second, { kind: "line", text: '{"after":true}' });
});
