// The client against the fake server, over both transports: the same scenarios must pass on each.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import type * as v2 from "../src/v2.js";
import { ConnectionClosedError, RequestAbortedError, RequestTimeoutError, RpcError } from "@threadloom/runtime";
import { CLIENT_INFO, next, runTurn, TRANSPORTS, type Harness } from "./helpers.js";
import { describeItem } from "./narrowing.js";

async function withHarness(make: () => Promise<Harness>, body: (h: Harness) => Promise<void>): Promise<void> {
  const harness = await make();
  try {
    await body(harness);
  } finally {
    await harness.dispose();
  }
}

async function initialized(h: Harness): Promise<string> {
  await h.client.initialize({ clientInfo: CLIENT_INFO });
  const { thread } = await h.client.call.threadStart({ cwd: "/workspace" });
  return thread.id;
}

for (const [name, make] of Object.entries(TRANSPORTS)) {
  describe(`client over ${name}`, () => {
    test("initialize negotiates protocol version 2 and the client records it", () =>
      withHarness(make, async ({ client }) => {
        const outcome = await client.initialize({ clientInfo: CLIENT_INFO, capabilities: { experimentalApi: false } });
        assert.equal(outcome.protocolVersion, 2);
        assert.equal(outcome.result.serverInfo.name, "fake-app-server");
        assert.equal(client.protocolVersion, 2);
      }));

    test("a version nobody speaks fails with a typed UnsupportedProtocolVersion error", () =>
      withHarness(
        () => make({ protocolVersions: [7] }),
        async ({ client }) => {
          const error = await client.initialize({ clientInfo: CLIENT_INFO }).then(
            () => assert.fail("initialize succeeded"),
            (e: unknown) => e,
          );
          assert.ok(error instanceof RpcError);
          assert.ok(error.is("UnsupportedProtocolVersion"));
          assert.deepEqual(error.data?.supported, [1, 2]);
          assert.deepEqual(error.data?.requested, [7]);
          assert.equal(error.method, "initialize");
        },
      ));

    test("a full turn: thread/started, streamed deltas (multi-byte text) and completed items", () =>
      withHarness(make, async (h) => {
        await h.client.initialize({ clientInfo: CLIENT_INFO });
        const started = next(h.client, "thread/started");
        const { thread } = await h.client.call.threadStart({});
        assert.equal((await started).thread.id, thread.id);
        const { deltas, completed, final } = await runTurn(h.client, thread.id, "hello");
        assert.equal(deltas.join(""), "Héllo, wörld 🌍 ✓ 日本語");
        const message = completed.find((i): i is v2.AgentMessageItem => i.type === "agentMessage");
        assert.equal(message?.text, deltas.join(""));
        assert.equal(final.status, "completed");
        assert.deepEqual(h.errors, []);
      }));

    test("approval round trip: the handler's decision reaches the server", () =>
      withHarness(make, async (h) => {
        const threadId = await initialized(h);
        const asked: v2.CommandExecutionRequestApprovalParams[] = [];
        h.client.handle("item/commandExecution/requestApproval", (params) => {
          asked.push(params);
          return { decision: "accept" };
        });
        const { completed } = await runTurn(h.client, threadId, "please approve");
        assert.deepEqual(asked.map((p) => [p.command, p.reason]), [["make test", "run the tests"]]);
        const command = completed.find((i): i is v2.CommandExecutionItem => i.type === "commandExecution");
        assert.equal(command?.status, "completed");
        assert.equal(command?.exitCode, 0);
      }));

    test("a declining async handler, and no handler at all, both end in a declined command", () =>
      withHarness(make, async (h) => {
        const threadId = await initialized(h);
        const off = h.client.handle("item/commandExecution/requestApproval", async () => ({ decision: "decline" }));
        const declined = await runTurn(h.client, threadId, "approve?");
        off();
        const unhandled = await runTurn(h.client, threadId, "approve again?");
        for (const { completed } of [declined, unhandled]) {
          const command = completed.find((i): i is v2.CommandExecutionItem => i.type === "commandExecution");
          assert.equal(command?.status, "declined");
        }
      }));

    test("a JSON-RPC error rejects with RpcError carrying code and typed data", () =>
      withHarness(make, async (h) => {
        await initialized(h);
        const error = await h.client.request("thread/read", { threadId: "thr_missing" }).then(
          () => assert.fail("thread/read succeeded"),
          (e: unknown) => e,
        );
        assert.ok(error instanceof RpcError);
        assert.equal(error.code, -32010);
        assert.ok(error.is("ThreadNotFound"));
        assert.equal(error.data?.threadId, "thr_missing");
        assert.match(error.message, /^thread\/read: thread not found \(code -32010\)$/);
      }));

    test("items and statuses newer than these bindings arrive intact and reach the default branch", () =>
      withHarness(make, async (h) => {
        const threadId = await initialized(h);
        const methods: string[] = [];
        h.client.onAny((_, method) => methods.push(method));
        const { completed, final } = await runTurn(h.client, threadId, "show me the future");
        assert.ok(methods.includes("item/hologram/flicker"), "onAny sees a notification method newer than the bindings");
        assert.deepEqual(completed.map(describeItem), ["agent: Héllo, wörld 🌍 ✓ 日本語", "unknown item type hologram"]);
        assert.equal(final.status, "paused");
        assert.deepEqual(h.errors, []);
      }));

    test("a listener that throws is reported and does not stop the stream", () =>
      withHarness(make, async (h) => {
        const threadId = await initialized(h);
        h.client.on("item/agentMessage/delta", () => {
          throw new Error("listener bug");
        });
        const { deltas, final } = await runTurn(h.client, threadId, "hello");
        assert.equal(deltas.length, 5);
        assert.equal(final.status, "completed");
        assert.deepEqual(
          h.errors.map((e) => e.message),
          Array(5).fill("listener bug"),
        );
      }));

    test("a 2 MB message crosses in both directions intact", () =>
      withHarness(make, async (h) => {
        await h.client.initialize({ clientInfo: CLIENT_INFO });
        const cwd = "/" + "é🌍x".repeat(350_000);
        const { thread } = await h.client.call.threadStart({ cwd });
        assert.equal(thread.cwd.length, cwd.length);
        assert.equal(thread.cwd, cwd);
      }));

    test("a request times out with RequestTimeoutError and the connection stays usable", () =>
      withHarness(make, async (h) => {
        await initialized(h);
        await assert.rejects(h.client.request("thread/read", { threadId: "never" }, { timeoutMs: 50 }), RequestTimeoutError);
        const list = await h.client.call.threadList({});
        assert.equal(list.data.length, 1);
      }));

    test("an AbortSignal cancels a pending request, and an aborted one never starts", () =>
      withHarness(make, async (h) => {
        await initialized(h);
        const controller = new AbortController();
        const pending = h.client.request("thread/read", { threadId: "never" }, { signal: controller.signal });
        controller.abort(new Error("user pressed stop"));
        await assert.rejects(pending, (e: unknown) => e instanceof RequestAbortedError && /user pressed stop/.test(e.message));
        await assert.rejects(h.client.request("thread/list", {}, { signal: controller.signal }), RequestAbortedError);
      }));

    test("close() rejects pending requests with ConnectionClosedError, and later requests too", () =>
      withHarness(make, async (h) => {
        await initialized(h);
        const pending = h.client.request("thread/read", { threadId: "never" });
        const rejected = assert.rejects(pending, (e: unknown) => e instanceof ConnectionClosedError && /thread\/read: no response.*client closed/.test(e.message));
        await h.client.close();
        await rejected;
        await assert.rejects(h.client.call.threadList({}), ConnectionClosedError);
      }));

    test("a server that goes away mid-request rejects the pending call with a clear error", () =>
      withHarness(make, async (h) => {
        await initialized(h);
        const closed = new Promise<Error>((resolve) => h.client.onClose(resolve));
        const error = await h.client.request("thread/read", { threadId: "crash" }).then(
          () => assert.fail("the crashing request succeeded"),
          (e: unknown) => e,
        );
        assert.ok(error instanceof ConnectionClosedError, String(error));
        // Over HTTP the session is gone with the server: a SessionLostError (a ConnectionClosedError).
        assert.match(error.message, /^thread\/read: no response, the (connection is closed|HTTP session was lost)/);
        assert.equal((await closed).message.length > 0, true);
        assert.equal(h.client.closed, true);
        await assert.rejects(h.client.call.threadList({}), ConnectionClosedError);
      }));
  });
}
