// End-to-end against the reference server (server/, `threadloom serve`), driven by its scripted
// agent (server/AGENT.md), over stdio and over HTTP+SSE. See reference-server.ts for which server.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";

import type * as v2 from "../src/v2.js";
import { AppServerClient } from "../src/index.js";
import { ConnectionClosedError, RpcError, TransportError } from "@threadloom/runtime";
import { HttpSseTransport } from "@threadloom/runtime";
import { StdioTransport } from "@threadloom/runtime/stdio";
import { CLIENT_INFO, next, runTurn } from "./helpers.js";
import { httpServer, NO_SERVER_REASON, serveCommand, stdioServer, type HttpServer } from "./reference-server.js";

const SKIP = serveCommand() === undefined ? NO_SERVER_REASON : false;

interface Target {
  name: string;
  connect(): Promise<{ client: AppServerClient; transport: StdioTransport | HttpSseTransport }>;
}

let http: HttpServer | undefined;

const TARGETS: Target[] = [
  {
    name: "stdio",
    async connect() {
      const transport = new StdioTransport(stdioServer());
      return { client: await AppServerClient.connect({ transport, clientInfo: CLIENT_INFO }), transport };
    },
  },
  {
    name: "http+sse",
    async connect() {
      http ??= await httpServer();
      const transport = new HttpSseTransport({ baseUrl: http.url, token: http.token });
      return { client: await AppServerClient.connect({ transport, clientInfo: CLIENT_INFO }), transport };
    },
  },
];

async function using(target: Target, body: (client: AppServerClient, transport: StdioTransport | HttpSseTransport) => Promise<void>): Promise<void> {
  const { client, transport } = await target.connect();
  try {
    await body(client, transport);
  } finally {
    await client.close();
  }
}

function itemOf<T extends v2.KnownThreadItem["type"]>(items: v2.ThreadItem[], type: T): Extract<v2.KnownThreadItem, { type: T }> | undefined {
  return items.find((i): i is Extract<v2.KnownThreadItem, { type: T }> => i.type === type);
}

for (const target of TARGETS) {
  describe(`reference server over ${target.name}`, { skip: SKIP }, () => {
    after(async () => {
      if (target.name === "http+sse") await http?.stop();
    });

    test("negotiates version 2", () =>
      using(target, async (client) => {
        assert.equal(client.protocolVersion, 2);
      }));

    test("a full turn streams the agent's words as deltas", () =>
      using(target, async (client) => {
        const { thread } = await client.call.threadStart({ approvalPolicy: "never" });
        const text = "hello from the typescript client ✓";
        const { deltas, completed, final } = await runTurn(client, thread.id, text);
        assert.ok(deltas.length >= 2, `deltas: ${JSON.stringify(deltas)}`);
        assert.equal(deltas.join(""), text);
        assert.equal(itemOf(completed, "agentMessage")?.text, text);
        assert.equal(final.status, "completed");
      }));

    test("approval round trip: accept runs the command, decline does not", () =>
      using(target, async (client) => {
        const { thread } = await client.call.threadStart({ approvalPolicy: "always" });
        const asked: string[] = [];
        let decision: v2.ApprovalDecision = "accept";
        client.handle("item/commandExecution/requestApproval", (params) => {
          asked.push(params.command);
          return { decision };
        });
        const accepted = await runTurn(client, thread.id, "run: echo approved");
        const ran = itemOf(accepted.completed, "commandExecution");
        assert.equal(ran?.status, "completed");
        assert.equal(ran?.exitCode, 0);
        assert.equal(ran?.aggregatedOutput, "approved\n");
        decision = "decline";
        const declined = await runTurn(client, thread.id, "run: echo never");
        assert.equal(itemOf(declined.completed, "commandExecution")?.status, "declined");
        assert.deepEqual(asked, ["echo approved", "echo never"]);
      }));

    test("list, resume and fork see the thread's history", () =>
      using(target, async (client) => {
        const { thread } = await client.call.threadStart({ approvalPolicy: "never" });
        await runTurn(client, thread.id, "remember this");
        const listed = await client.call.threadList({ limit: 100 });
        assert.ok(listed.data.some((t) => t.id === thread.id));
        const resumed = await client.call.threadResume({ threadId: thread.id });
        assert.equal(resumed.thread.turns?.length, 1);
        const forked = await client.call.threadFork({ threadId: thread.id });
        assert.notEqual(forked.thread.id, thread.id);
        assert.equal(forked.thread.forkedFromId, thread.id);
        assert.equal(forked.thread.turns?.length, 1);
      }));

    test("errors arrive as typed RpcErrors", () =>
      using(target, async (client) => {
        const missing = await client.call.threadRead({ threadId: "thr_does_not_exist" }).catch((e: unknown) => e);
        assert.ok(missing instanceof RpcError && missing.is("ThreadNotFound"), String(missing));
        assert.equal(missing.data?.threadId, "thr_does_not_exist");
        const { thread } = await client.call.threadStart({ approvalPolicy: "never" });
        const completed = next(client, "turn/completed");
        const { turn } = await client.call.turnStart({ threadId: thread.id, input: [{ type: "text", text: "sleep: 30" }] });
        const busy = await client.call.turnStart({ threadId: thread.id, input: [{ type: "text", text: "hi" }] }).catch((e: unknown) => e);
        assert.ok(busy instanceof RpcError && busy.is("TurnAlreadyActive"), String(busy));
        assert.equal(busy.data?.activeTurnId, turn.id);
        await client.call.turnInterrupt({ threadId: thread.id, turnId: turn.id });
        assert.equal((await completed).turn.status, "interrupted");
      }));

    if (target.name === "stdio") {
      test("a server killed mid-request rejects the pending call with a clear error", () =>
        using(target, async (client, transport) => {
          const pid = (transport as StdioTransport).pid;
          assert.ok(pid !== undefined);
          // Stopped first, so the request is certainly pending when the server dies.
          process.kill(pid, "SIGSTOP");
          const pending = client.call.threadList({});
          process.kill(pid, "SIGKILL");
          const error = await pending.catch((e: unknown) => e);
          assert.ok(error instanceof ConnectionClosedError, String(error));
          assert.match(error.message, /thread\/list: no response, the connection is closed \(the server process was killed by SIGKILL/);
        }));
    } else {
      test("a server killed mid-request rejects the pending call, then the connection closes", async () => {
        const own = await httpServer();
        const transport = new HttpSseTransport({ baseUrl: own.url, token: own.token, maxReconnectAttempts: 1, reconnectDelayMs: 50 });
        const client = await AppServerClient.connect({ transport, clientInfo: CLIENT_INFO });
        try {
          const closed = new Promise<Error>((resolve) => client.onClose(resolve));
          process.kill(own.process.pid ?? 0, "SIGSTOP");
          const pending = client.call.threadList({});
          process.kill(own.process.pid ?? 0, "SIGKILL");
          const error = await pending.catch((e: unknown) => e);
          assert.ok(error instanceof TransportError || error instanceof ConnectionClosedError, String(error));
          assert.match(error.message, /^thread\/list: /);
          assert.match((await closed).message, /the event stream is gone/);
          await assert.rejects(client.call.threadList({}), ConnectionClosedError);
        } finally {
          await client.close();
          await own.stop();
        }
      });
    }
  });
}
