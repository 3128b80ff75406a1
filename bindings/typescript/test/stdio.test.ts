// stdio-only behaviour: framing under hostile chunking, an old v1 server, a server that cannot start.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as v1 from "../src/v1.js";
import { AppServerClient } from "../src/index.js";
import { ConnectionClosedError } from "@threadloom/runtime";
import { StdioTransport } from "@threadloom/runtime/stdio";
import { CLIENT_INFO, FAKE_STDIO_SERVER, runTurn, stdioHarness } from "./helpers.js";

test("output written 1-7 bytes at a time (split UTF-8, CRLF, blank lines) still yields every message", async () => {
  const h = await stdioHarness({ env: { FAKE_CHUNKED: "1" } });
  try {
    await h.client.initialize({ clientInfo: CLIENT_INFO });
    const { thread } = await h.client.call.threadStart({});
    h.client.handle("item/commandExecution/requestApproval", () => ({ decision: "accept" }));
    const { deltas, completed, final } = await runTurn(h.client, thread.id, "approve");
    assert.equal(deltas.join(""), "Héllo, wörld 🌍 ✓ 日本語");
    assert.deepEqual(
      completed.map((i) => i.type),
      ["agentMessage", "commandExecution"],
    );
    assert.equal(final.status, "completed");
    assert.deepEqual(h.errors, []);
  } finally {
    await h.dispose();
  }
});

test("a v1 server that ignores protocolVersions is taken as version 1", async () => {
  const v1Server = (): StdioTransport => new StdioTransport({ command: process.execPath, args: [FAKE_STDIO_SERVER], env: { ...process.env, FAKE_SUPPORTED: "1" } });
  const newest = await AppServerClient.connect({ transport: v1Server(), clientInfo: CLIENT_INFO });
  assert.equal(newest.protocolVersion, 1);
  await newest.close();
  // The v1 client: v1 declares no handshake of its own, it follows v2's (initialize + initialized), without a version offer.
  const client = await v1.AppServerClient.connect({ transport: v1Server(), clientInfo: CLIENT_INFO });
  try {
    assert.equal(client.protocolVersion, 1);
    const { thread } = await client.request("thread/start", {});
    assert.match(thread.id, /^thr_/);
    // @ts-expect-error thread/fork does not exist in v1, so a v1-typed client cannot call it
    client.call.threadFork;
  } finally {
    await client.close();
  }
});

test("the server's exit code and last stderr lines are in the error of a crashed request", async () => {
  const h = await stdioHarness();
  try {
    await h.client.initialize({ clientInfo: CLIENT_INFO });
    const error = await h.client.request("thread/read", { threadId: "crash" }).catch((e: unknown) => e);
    assert.ok(error instanceof ConnectionClosedError);
    assert.match(String((error.cause as Error).message), /exited with code 3; its last stderr output: fake server: crashing on purpose/);
  } finally {
    await h.dispose();
  }
});

test("a server command that cannot be started rejects the first request clearly", async () => {
  const transport = new StdioTransport({ command: "/nonexistent/threadloom-app-server" });
  const client = new AppServerClient({ transport, onError: () => undefined });
  await assert.rejects(client.initialize({ clientInfo: CLIENT_INFO }), (e: unknown) => e instanceof ConnectionClosedError && /cannot start server.*ENOENT/.test(e.message));
});
