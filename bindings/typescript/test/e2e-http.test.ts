// The HTTP + SSE transport against the reference server (`threadloom serve --http`) under the
// conditions of its delivery contract (server/README.md, "Limits and guarantees"): a reader that
// falls behind is told (`event: lost`, then 410), a reconnect with Last-Event-ID loses and repeats
// nothing, and refusals (400, 413, 421) reach the caller with the server's reason. No timed
// assertion: every wait is for a condition, and hangs are caught by the generous test timeout.
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { describe, test } from "node:test";

import { AppServerClient } from "../src/index.js";
import { ConnectionClosedError, HttpSseTransport, SessionLostError, TransportError } from "@threadloom/runtime";
import { CLIENT_INFO, runTurn } from "./helpers.js";
import { httpServer, NO_SERVER_REASON, serveCommand, type HttpServer } from "./reference-server.js";

const SKIP = serveCommand() === undefined ? NO_SERVER_REASON : false;
const HANG_LIMIT_MS = 240_000;

async function withServer(args: string[], body: (server: HttpServer) => Promise<void>): Promise<void> {
  const server = await httpServer(args);
  try {
    await body(server);
  } finally {
    await server.stop();
  }
}

/** A fetch whose event streams deliver nothing while `paused`: a reader that stopped reading. */
class PausableFetch {
  paused = false;
  /** Every Last-Event-ID header sent on GET /events (null when absent). */
  readonly lastEventIds: (string | null)[] = [];
  private resume: (() => void) | undefined = undefined;

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const response = await fetch(input, init);
    if (!String(input).includes("/events?") || response.body === null) return response;
    this.lastEventIds.push(new Headers(init?.headers).get("Last-Event-ID"));
    const source = response.body.getReader();
    const gated = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          while (this.paused) await new Promise<void>((resolve) => (this.resume = resolve));
          const { done, value } = await source.read();
          if (done) controller.close();
          else controller.enqueue(value);
        },
        cancel: (reason) => source.cancel(reason),
      },
      { highWaterMark: 0 },
    );
    return new Response(gated, { status: response.status, headers: response.headers });
  };

  play(): void {
    this.paused = false;
    this.resume?.();
  }
}

/** POSTs a harmless request to the session until the server answers 404: it has ended the session. */
async function untilSessionEnded(server: HttpServer, sessionId: string): Promise<void> {
  for (let probe = 1; ; probe++) {
    const body = JSON.stringify({ jsonrpc: "2.0", id: `probe-${probe}`, method: "thread/list", params: {} });
    const headers = { Authorization: `Bearer ${server.token}`, "Threadloom-Session": sessionId, "Content-Type": "application/json" };
    const response = await fetch(`${server.url}/rpc`, { method: "POST", headers, body });
    await response.arrayBuffer();
    if (response.status === 404) return;
    assert.equal(response.status, 202);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** fetch over node:http, so a test can send a Host header of its choosing (fetch cannot). */
function fetchWithHost(host: string): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const headers = { ...(init?.headers as Record<string, string>), Host: host };
    return new Promise<Response>((resolve, reject) => {
      const req = httpRequest(String(input), { method: init?.method ?? "GET", headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0, statusText: res.statusMessage ?? "" })));
      });
      req.on("error", reject);
      req.end(init?.body === undefined || init.body === null ? undefined : String(init.body));
    });
  }) as typeof fetch;
}

describe("reference server over http+sse: delivery contract", { skip: SKIP, timeout: HANG_LIMIT_MS }, () => {
  test("a reader that falls behind is told: pending calls settle, the session is lost, a new session resumes the thread", () =>
    withServer(["--sse-buffer-bytes", "65536", "--slow-reader-seconds", "0.5"], async (server) => {
      const gate = new PausableFetch();
      const lost: SessionLostError[] = [];
      const transport = new HttpSseTransport({ baseUrl: server.url, token: server.token, fetch: gate.fetch, onSessionLost: (e) => lost.push(e) });
      const client = await AppServerClient.connect({ transport, clientInfo: CLIENT_INFO, requestTimeoutMs: 0 });
      const closed = new Promise<Error>((resolve) => client.onClose(resolve));
      try {
        const { thread } = await client.call.threadStart({ approvalPolicy: "never" });
        gate.paused = true;
        // Far more than the buffer, the socket buffers and fetch's own queue together can hold.
        const word = "w".repeat(16_000);
        const text = Array.from({ length: 120 }, () => word).join(" ");
        const calls = [client.call.turnStart({ threadId: thread.id, input: [{ type: "text", text }] }), client.call.threadList({})];
        await untilSessionEnded(server, transport.sessionId ?? "");
        gate.play();
        const error = await closed;
        assert.ok(error instanceof SessionLostError, String(error));
        assert.match(error.message, /the HTTP session was lost: this reader fell behind; .*; to recover: open a new session \(POST \/session\) and call thread\/resume/);
        assert.deepEqual(lost, [error]);
        for (const outcome of await Promise.allSettled(calls)) {
          if (outcome.status === "rejected") assert.ok(outcome.reason instanceof SessionLostError, String(outcome.reason));
        }
        await assert.rejects(client.call.threadList({}), SessionLostError);
        // The documented recovery: a new session, then thread/resume brings the whole history.
        const fresh = await AppServerClient.connect({ transport: transport.renew(), clientInfo: CLIENT_INFO });
        try {
          let resumed = await fresh.call.threadResume({ threadId: thread.id });
          while (resumed.thread.status === "active") {
            await new Promise((resolve) => setTimeout(resolve, 100)); // the turn goes on without its lost reader
            resumed = await fresh.call.threadRead({ threadId: thread.id, includeTurns: true });
          }
          assert.equal(resumed.thread.turns?.length, 1);
        } finally {
          await fresh.close();
        }
      } finally {
        await client.close();
      }
    }));

  test("reconnects with Last-Event-ID in the middle of a turn lose nothing and repeat nothing", () =>
    withServer([], async (server) => {
      const gate = new PausableFetch();
      const transport = new HttpSseTransport({ baseUrl: server.url, token: server.token, fetch: gate.fetch });
      const client = await AppServerClient.connect({ transport, clientInfo: CLIENT_INFO });
      try {
        const { thread } = await client.call.threadStart({ approvalPolicy: "never" });
        let deltas = 0;
        client.on("item/agentMessage/delta", () => {
          deltas += 1;
          if (deltas % 150 === 0) transport.restartEvents();
        });
        const text = Array.from({ length: 1000 }, (_, i) => `w${i}`).join(" ");
        const turn = await runTurn(client, thread.id, text);
        assert.equal(turn.deltas.join(""), text, "every delta exactly once, in order");
        assert.equal(turn.final.status, "completed");
        assert.ok(transport.reconnects >= 6, `reconnects: ${transport.reconnects}`);
        const resumedFrom = gate.lastEventIds.slice(1);
        assert.ok(resumedFrom.every((id) => id !== null && /^[0-9]+$/.test(id)), JSON.stringify(resumedFrom));
        assert.deepEqual([...resumedFrom].sort((a, b) => Number(a) - Number(b)), resumedFrom, "each reconnect resumes after the last");
        assert.equal((await client.call.threadList({})).data.length, 1, "the session goes on");
      } finally {
        await client.close();
      }
    }));

  test("resuming after events the server no longer keeps answers 410: the session is lost, with the way to recover", () =>
    withServer(["--sse-buffer-bytes", "65536"], async (server) => {
      const transport = new HttpSseTransport({ baseUrl: server.url, token: server.token });
      const client = await AppServerClient.connect({ transport, clientInfo: CLIENT_INFO });
      const closed = new Promise<Error>((resolve) => client.onClose(resolve));
      try {
        const { thread } = await client.call.threadStart({ approvalPolicy: "never" });
        await runTurn(client, thread.id, Array.from({ length: 2000 }, (_, i) => `w${i}`).join(" "));
        transport.lastEventId = "1"; // a client that was away while the buffer moved on
        transport.restartEvents();
        const error = await closed;
        assert.ok(error instanceof SessionLostError && error.status === 410, String(error));
        assert.match(error.message, /\(HTTP 410\): events after 1 are no longer buffered .*; to recover: open a new session/);
        assert.match(error.recover ?? "", /thread\/resume/);
        await assert.rejects(client.call.threadList({}), SessionLostError);
      } finally {
        await client.close();
      }
    }));

  test("a Last-Event-ID beyond the newest event is refused with 400 and the server's reason", () =>
    withServer([], async (server) => {
      const transport = new HttpSseTransport({ baseUrl: server.url, token: server.token });
      const client = await AppServerClient.connect({ transport, clientInfo: CLIENT_INFO });
      const closed = new Promise<Error>((resolve) => client.onClose(resolve));
      try {
        transport.lastEventId = "999999";
        transport.restartEvents();
        const error = await closed;
        assert.ok(error instanceof ConnectionClosedError && !(error instanceof SessionLostError), String(error));
        assert.match(error.message, /GET \/events answered 400 Bad Request: Last-Event-ID 999999 is beyond the newest event \d+$/);
      } finally {
        await client.close();
      }
    }));

  test("a message above the server's limit is refused with 413, that call fails and the session goes on", () =>
    withServer(["--max-message-bytes", "4096"], async (server) => {
      const client = await AppServerClient.connect({ transport: new HttpSseTransport({ baseUrl: server.url, token: server.token }), clientInfo: CLIENT_INFO });
      try {
        const error = await client.call.threadStart({ cwd: "/" + "d".repeat(5000) }).catch((e: unknown) => e);
        assert.ok(error instanceof TransportError && error.status === 413, String(error));
        assert.match(error.message, /^thread\/start: the request could not be sent: POST \/rpc answered 413 Content Too Large: message larger than 4096 bytes$/);
        assert.equal((await client.call.threadList({})).data.length, 0);
      } finally {
        await client.close();
      }
    }));

  test("a foreign Host (DNS rebinding) gets 421 with the server's reason", () =>
    withServer([], async (server) => {
      const transport = new HttpSseTransport({ baseUrl: server.url, token: server.token, fetch: fetchWithHost("evil.example:80") });
      const error = await AppServerClient.connect({ transport, clientInfo: CLIENT_INFO }).catch((e: unknown) => e);
      assert.ok(error instanceof TransportError && error.status === 421, String(error));
      assert.match(error.message, /^POST \/session answered 421 Misdirected Request: host 'evil.example:80' is not served here; start the server with --allow-host/);
    }));

  test("a burst of 300 calls at once is answered in full (the server makes them wait, never refuses)", () =>
    withServer([], async (server) => {
      const client = await AppServerClient.connect({ transport: new HttpSseTransport({ baseUrl: server.url, token: server.token }), clientInfo: CLIENT_INFO, requestTimeoutMs: 0 });
      try {
        const answers = await Promise.all(Array.from({ length: 300 }, () => client.call.threadList({})));
        assert.equal(answers.length, 300);
        assert.ok(answers.every((a) => Array.isArray(a.data)));
      } finally {
        await client.close();
      }
    }));
});
