import assert from "node:assert/strict";
import { test } from "node:test";

import { SseParser, type SseEvent } from "../src/sse.js";

const encoder = new TextEncoder();

function parseInPieces(text: string, pieceSize: number): SseEvent[] {
  const parser = new SseParser();
  const bytes = encoder.encode(text);
  const events: SseEvent[] = [];
  for (let i = 0; i < bytes.length; i += pieceSize) events.push(...parser.push(bytes.subarray(i, i + pieceSize)));
  return events;
}

const STREAM = 'retry: 20\n\n: keepalive\n\nevent: message\nid: 1\ndata: {"a":"é🌍"}\n\nevent: message\nid: 2\ndata: line1\ndata: line2\n\n';

test("events survive any chunking, including split UTF-8", () => {
  const expected = [
    { type: "message", data: '{"a":"é🌍"}', lastEventId: "1" },
    { type: "message", data: "line1\nline2", lastEventId: "2" },
  ];
  for (const size of [1, 2, 3, 5, 7, 1000]) assert.deepEqual(parseInPieces(STREAM, size), expected, `pieces of ${size}`);
});

test("CR, LF and CRLF all end lines, even when CRLF is split across chunks", () => {
  const parser = new SseParser();
  const events = [...parser.push(encoder.encode("data: a\r")), ...parser.push(encoder.encode("\n\r\ndata: b\r\r\n"))];
  assert.deepEqual(
    events.map((e) => e.data),
    ["a", "b"],
  );
});

test("retry is read, comments and unknown fields are ignored, event type defaults to message", () => {
  const parser = new SseParser();
  const events = parser.push(encoder.encode("retry: 1500\n:comment\nfoo: bar\ndata:x\n\n"));
  assert.equal(parser.retryMs, 1500);
  assert.deepEqual(events, [{ type: "message", data: "x", lastEventId: "" }]);
});

test("an id persists for later events without one, and an event with no data is not dispatched", () => {
  const parser = new SseParser("7");
  const events = parser.push(encoder.encode("id: 8\n\ndata: y\n\n"));
  assert.deepEqual(events, [{ type: "message", data: "y", lastEventId: "8" }]);
});

test("an event larger than the limit is skipped, reported with its size and head, and the next one is intact", () => {
  const parser = new SseParser("", 100);
  const big = JSON.stringify({ id: 3, result: "y".repeat(5000) });
  const text = `id: 1\ndata: ${big}\n\nid: 2\ndata: {"small":1}\n\n`;
  const bytes = encoder.encode(text);
  const events: SseEvent[] = [];
  for (let i = 0; i < bytes.length; i += 37) events.push(...parser.push(bytes.subarray(i, i + 37)));
  assert.equal(events.length, 2);
  assert.equal(events[0]?.oversized !== undefined && events[0].oversized > 100, true);
  assert.ok(events[0]?.data.startsWith('{"id":3,'), events[0]?.data.slice(0, 20));
  assert.deepEqual(events[1], { type: "message", data: '{"small":1}', lastEventId: "2" });
});

test("an oversized event that arrives whole in one chunk is reported at once, and the event after it survives", () => {
  const parser = new SseParser("", 100);
  const big = `id: 1\nevent: message\ndata: {"id":5,"r":"${"x".repeat(300)}"}\n\n`;
  const first = parser.push(encoder.encode(big));
  assert.equal(first.length, 1);
  assert.ok(first[0]?.oversized !== undefined && first[0].data.startsWith('{"id":5,'));
  assert.deepEqual(parser.push(encoder.encode('id: 2\nevent: message\ndata: {"small":1}\n\n')), [{ type: "message", data: '{"small":1}', lastEventId: "2" }]);
});
