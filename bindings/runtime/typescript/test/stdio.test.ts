// The stdio transport over real pipes against a Node server of the PLAIN protocol.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { Client, type ConnectOptions } from "../src/client.js";
import { ConnectionClosedError, MessageTooLargeError } from "../src/errors.js";
import { StdioTransport } from "../src/stdio.js";
import { PLAIN, type PlainSpec } from "./fixtures/protocols.js";

const SERVER = fileURLToPath(new URL("./fixtures/plain-server.js", import.meta.url));

class PlainClient extends Client<PlainSpec> {
  static connect(options: ConnectOptions<PlainSpec>): Promise<PlainClient> {
    return new PlainClient(PLAIN, options).open(options);
  }
}

function connect(options: Partial<ConnectOptions<PlainSpec>> = {}): Promise<PlainClient> {
  return PlainClient.connect({ transport: new StdioTransport({ command: process.execPath, args: [SERVER] }), ...options });
}

test("a response beyond the protocol's maxMessageBytes fails its call with a clear error; the connection goes on", async () => {
  const client = await connect();
  try {
    const error = await client.call.noteDump({ size: 50_000 }).catch((e: unknown) => e);
    assert.ok(error instanceof MessageTooLargeError, String(error));
    assert.equal(error.limit, 4096);
    assert.ok(error.size > 50_000);
    assert.match(error.message, /^note\/dump: the peer wrote a message of \d+ bytes, above the protocol's maxMessageBytes \(4096\); it was discarded$/);
    assert.equal((await client.call.noteDump({ size: 100 })).blob.length, 100);
  } finally {
    await client.close();
  }
});

test("a request above the limit is not sent: its call fails with a clear error and the connection goes on", async () => {
  const client = await connect();
  try {
    const error = await client.call.noteAdd({ text: "é".repeat(3000) }).catch((e: unknown) => e);
    assert.ok(error instanceof MessageTooLargeError, String(error));
    assert.equal(error.writer, "the client");
    assert.match(error.message, /^note\/add: the client wrote a message of 60\d\d bytes, above the protocol's maxMessageBytes \(4096\); it was not sent$/);
    assert.equal(typeof (await client.call.noteAdd({ text: "fits" })).id, "number");
  } finally {
    await client.close();
  }
});

test("a handler result above the limit is replaced by an error answer, so the server's request does not wait forever", async () => {
  const errors: Error[] = [];
  const client = await connect({ onError: (e) => errors.push(e) });
  client.handle("note/confirm", ({ id }) => ({ ok: true, padding: "p".repeat(id === 0 ? 10_000 : 0) }));
  try {
    await client.call.noteAdd({ text: "confirm:2" });
    assert.deepEqual(errors.map((e) => e.name), ["MessageTooLargeError"]);
  } finally {
    await client.close();
  }
});

test("an explicit maxLineBytes overrides the protocol's limit", async () => {
  const transport = new StdioTransport({ command: process.execPath, args: [SERVER], maxLineBytes: 100_000 });
  const client = await PlainClient.connect({ transport });
  try {
    assert.equal((await client.call.noteDump({ size: 50_000 })).blob.length, 50_000);
  } finally {
    await client.close();
  }
});

test("1,000 requests written at once are all answered", async () => {
  const client = await connect();
  try {
    const answers = await Promise.all(Array.from({ length: 1000 }, (_, i) => client.call.noteAdd({ text: `n${i}` })));
    assert.deepEqual(new Set(answers.map((a) => a.id)).size, 1000);
  } finally {
    await client.close();
  }
});

test("2,000 server requests in one write are all answered with at most maxConcurrentHandlers at once", async () => {
  const client = await connect({ maxConcurrentHandlers: 8 });
  let running = 0;
  let peak = 0;
  let answered = 0;
  client.handle("note/confirm", async () => {
    running += 1;
    peak = Math.max(peak, running);
    await new Promise((resolve) => setImmediate(resolve));
    running -= 1;
    answered += 1;
    return { ok: true };
  });
  try {
    await client.call.noteAdd({ text: "confirm:2000" }, { timeoutMs: 0 });
    assert.equal(answered, 2000);
    assert.equal(peak, 8);
  } finally {
    await client.close();
  }
});

test("the server exiting rejects pending calls instead of leaving them waiting", async () => {
  const transport = new StdioTransport({ command: process.execPath, args: ["-e", "process.stdin.once('data', () => process.exit(5))"] });
  const client = await PlainClient.connect({ transport });
  const error = await client.call.noteAdd({ text: "x" }).catch((e: unknown) => e);
  assert.ok(error instanceof ConnectionClosedError);
  assert.match(String((error.cause as Error).message), /exited with code 5/);
});

test("a server that exits while the client is saturated by handlers that never finish still ends the connection", async () => {
  const script = [
    "process.stdin.once('data', () => {",
    "  for (const id of ['a', 'b', 'c']) process.stdout.write(JSON.stringify({ id, method: 'note/confirm', params: { id: 1 } }) + '\\n');",
    "  setTimeout(() => process.exit(4), 50);",
    "});",
  ].join("\n");
  const transport = new StdioTransport({ command: process.execPath, args: ["-e", script] });
  const client = await PlainClient.connect({ transport, maxConcurrentHandlers: 1 });
  client.handle("note/confirm", () => new Promise<never>(() => undefined));
  const error = await client.call.noteAdd({ text: "x" }, { timeoutMs: 0 }).catch((e: unknown) => e);
  assert.ok(error instanceof ConnectionClosedError, String(error));
  assert.match(String((error.cause as Error).message), /exited with code 4/);
});
