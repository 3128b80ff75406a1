// The client on hand-written protocol tables (no generated code): handshake driven by pointers, no
// handshake at all, framing without "jsonrpc", oversized messages, and backpressure.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Client, type ConnectOptions } from "../src/client.js";
import { ConnectionClosedError, MessageTooLargeError, ProtocolError, RpcError } from "../src/errors.js";
import type { Message, RequestMessage } from "../src/jsonrpc.js";
import { GREET, PLAIN, type GreetSpec, type PlainSpec } from "./fixtures/protocols.js";
import { MemoryTransport } from "./helpers.js";

// What generated code does: one subclass per protocol version, bound to its tables.
class PlainClient extends Client<PlainSpec> {
  static connect(options: ConnectOptions<PlainSpec>): Promise<PlainClient> {
    return new PlainClient(PLAIN, options).open(options);
  }
}

class GreetClient extends Client<GreetSpec> {
  static connect(options: ConnectOptions<GreetSpec>): Promise<GreetClient> {
    return new GreetClient(GREET, options).open(options);
  }
}

function requests(transport: MemoryTransport): RequestMessage[] {
  return transport.sent.filter((m): m is RequestMessage => "method" in m && "id" in m);
}

/** A "server" that answers each request with `answer(request)`. */
function answering(transport: MemoryTransport, answer: (request: RequestMessage) => unknown): void {
  transport.onSend = (message: Message) => {
    if ("method" in message && "id" in message) {
      const reply = answer(message);
      if (reply !== undefined) queueMicrotask(() => void transport.deliver(reply));
    }
  };
}

test("a protocol without a handshake: connect only starts; messages carry no jsonrpc member; extras reach onAny", async () => {
  const transport = new MemoryTransport();
  answering(transport, (r) => ({ id: r.id, result: { id: 41 } }));
  const client = await PlainClient.connect({ transport });
  assert.equal(client.protocolVersion, 3);
  assert.deepEqual(transport.sent, []);
  const added = await client.call.noteAdd({ text: "hi" });
  assert.equal(added.id, 41);
  assert.deepEqual(transport.sent[0], { id: 1, method: "note/add", params: { text: "hi" } });
  const seen: unknown[] = [];
  client.onAny((params, method, message) => seen.push([method, params, message["emittedAtMs" as keyof typeof message]]));
  await transport.deliver({ method: "note/added", params: { id: 41 }, emittedAtMs: 1234 });
  assert.deepEqual(seen, [["note/added", { id: 41 }, 1234]]);
  await client.close();
});

test("errors are matched by the protocol's own table", async () => {
  const transport = new MemoryTransport();
  answering(transport, (r) => ({ id: r.id, error: { code: -32050, message: "no such note", data: { id: 9 } } }));
  const client = await PlainClient.connect({ transport });
  const error = await client.call.noteAdd({ text: "x" }).catch((e: unknown) => e);
  assert.ok(error instanceof RpcError);
  assert.ok(error.is("NoteMissing"));
  assert.equal(error.data?.id, 9);
  await client.close();
});

test("the handshake fills the version offer, opt-in and opt-outs at the declared pointers, keeps the caller's fields, and sends `initialized`", async () => {
  const transport = new MemoryTransport();
  answering(transport, (r) => (r.method === "hello" ? { jsonrpc: "2.0", id: r.id, result: { picked: 1 } } : undefined));
  const client = await GreetClient.connect({ transport, who: "ada", flags: { mute: ["tick"] }, experimental: true, optOutNotifications: ["ignored: the caller set mute"] });
  assert.equal(client.protocolVersion, 1);
  assert.deepEqual(transport.sent, [
    { jsonrpc: "2.0", id: 1, method: "hello", params: { who: "ada", offer: { versions: [2, 1] }, flags: { mute: ["tick"], beta: true } } },
    { jsonrpc: "2.0", method: "ready", params: {} },
  ]);
  await client.close();
});

test("a version the client did not offer fails the handshake and closes the client", async () => {
  const transport = new MemoryTransport();
  answering(transport, (r) => ({ jsonrpc: "2.0", id: r.id, result: { picked: 7 } }));
  await assert.rejects(GreetClient.connect({ transport, who: "ada" }), (e: unknown) => e instanceof ProtocolError && /version 7, which was not offered \(2, 1\)/.test(e.message));
});

test("a server that names no version is taken as the oldest one", async () => {
  const transport = new MemoryTransport();
  answering(transport, (r) => ({ jsonrpc: "2.0", id: r.id, result: {} }));
  const client = await GreetClient.connect({ transport, who: "ada" });
  assert.equal(client.protocolVersion, 1);
  await client.close();
});

test("an oversized response fails exactly its call; the connection goes on", async () => {
  const transport = new MemoryTransport();
  const client = await PlainClient.connect({ transport });
  const big = client.call.noteDump({ size: 1e9 });
  const small = client.call.noteAdd({ text: "after" });
  transport.required().oversized('{"id":1,"result":{"blob":"xxxx', 9_000_000, 4096);
  await transport.deliver({ id: 2, result: { id: 5 } });
  const error = await big.catch((e: unknown) => e);
  assert.ok(error instanceof MessageTooLargeError, String(error));
  assert.match(error.message, /^note\/dump: the peer wrote a message of \d+ bytes, above the protocol's maxMessageBytes \(4096\); it was discarded$/);
  assert.deepEqual(await small, { id: 5 });
  assert.equal(client.closed, false);
  await client.close();
});

test("an oversized message that cannot be identified ends the connection instead of leaving calls waiting", async () => {
  const transport = new MemoryTransport();
  const client = await PlainClient.connect({ transport });
  const pending = client.call.noteDump({ size: 1e9 });
  transport.required().oversized('{"result":{"blob":"xxxx', 9_000_000, 4096);
  const error = await pending.catch((e: unknown) => e);
  assert.ok(error instanceof ConnectionClosedError);
  assert.ok(error.cause instanceof MessageTooLargeError);
});

test("an oversized server request is refused with an error answer, not left unanswered", async () => {
  const transport = new MemoryTransport();
  const client = await PlainClient.connect({ transport });
  transport.required().oversized('{"id":"s1","method":"note/confirm","params":{"id":', 9_000_000, 4096);
  assert.deepEqual(transport.sent, [{ id: "s1", error: { code: -32600, message: "the request is larger than 4096 bytes (maxMessageBytes)" } }]);
  await client.close();
});

test("a burst of server requests is handled with bounded concurrency: reading waits instead of refusing", async () => {
  const transport = new MemoryTransport();
  const client = await PlainClient.connect({ transport, maxConcurrentHandlers: 4 });
  let running = 0;
  let peak = 0;
  client.handle("note/confirm", async ({ id }) => {
    running += 1;
    peak = Math.max(peak, running);
    await new Promise((resolve) => setTimeout(resolve, 1));
    running -= 1;
    return { ok: id % 2 === 0 };
  });
  const burst = Array.from({ length: 200 }, (_, i) => ({ id: `s${i}`, method: "note/confirm", params: { id: i } }));
  await transport.deliver(...burst);
  while (transport.sent.length < 200) await new Promise((resolve) => setTimeout(resolve, 1));
  assert.equal(peak, 4);
  assert.ok(transport.waits > 0, "delivery waited for the client at least once");
  assert.deepEqual(
    transport.sent.map((m) => ("result" in m ? m.id : "error")),
    burst.map((r) => r.id),
  );
  await client.close();
});

test("closing releases a transport that waits for a handler slot", async () => {
  const transport = new MemoryTransport();
  const client = await PlainClient.connect({ transport, maxConcurrentHandlers: 1 });
  client.handle("note/confirm", () => new Promise<never>(() => undefined));
  const delivering = transport.deliver({ id: "a", method: "note/confirm", params: { id: 1 } }, { id: "b", method: "note/confirm", params: { id: 2 } });
  await new Promise((resolve) => setTimeout(resolve, 1));
  await client.close();
  await delivering;
  assert.equal(requests(transport).length, 0);
});
