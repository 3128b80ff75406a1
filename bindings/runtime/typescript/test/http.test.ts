// The HTTP + SSE transport against a scripted server (a fetch stub, no sockets): session loss in
// each of its forms, resumption without loss or duplicates, and error answers that say what
// happened. The generated package's tests cover the same over real HTTP (fake and reference server).
import assert from "node:assert/strict";
import { test } from "node:test";

import { Client, type ConnectOptions } from "../src/client.js";
import { ConnectionClosedError, SessionLostError, TransportError } from "../src/errors.js";
import { HttpSseTransport } from "../src/http.js";
import { PLAIN, type PlainSpec } from "./fixtures/protocols.js";

class PlainClient extends Client<PlainSpec> {
  static connect(options: ConnectOptions<PlainSpec>): Promise<PlainClient> {
    return new PlainClient(PLAIN, options).open(options);
  }
}

const CONTRACT = { post: "/rpc", events: "/events", sessionHeader: "Session" };
const RECOVER = "open a new session and resume";

/** One open event stream the test writes to. */
class Stream {
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined = undefined;
  readonly body = new ReadableStream<Uint8Array>({ start: (c) => void (this.controller = c) });

  write(text: string): void {
    this.controller?.enqueue(new TextEncoder().encode(text));
  }

  end(): void {
    this.controller?.close();
  }
}

type Answer = { status: number; body?: string };

/** The scripted server: records requests; `/events` answers come from `nextEvents` (a stream by default). */
class Stub {
  readonly posted: { id?: number; method?: string }[] = [];
  readonly lastEventIds: (string | null)[] = [];
  readonly requests: string[] = [];
  streams: Stream[] = [];
  /** Answers for the coming GET /events, first first; when empty, a new stream. */
  eventAnswers: Answer[] = [];
  /** An answer for every request to a path ("POST /rpc"), instead of the normal one. */
  refuse = new Map<string, Answer>();
  private onPost: ((message: { id?: number; method?: string }) => void) | undefined = undefined;
  private waiters: (() => void)[] = [];

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const method = init?.method ?? "GET";
    const route = `${method} ${url.pathname}`;
    this.requests.push(route);
    const refusal = this.refuse.get(route);
    if (refusal) return new Response(refusal.body ?? null, { status: refusal.status });
    if (route === "POST /session") return Response.json({ sessionId: "s1" });
    if (route === "DELETE /session") return new Response(null, { status: 204 });
    if (route === "POST /rpc") {
      const message = JSON.parse(String(init?.body)) as { id?: number; method?: string };
      this.posted.push(message);
      this.onPost?.(message);
      this.wake();
      return new Response(null, { status: 202 });
    }
    const headers = new Headers(init?.headers);
    this.lastEventIds.push(headers.get("Last-Event-ID"));
    const answer = this.eventAnswers.shift();
    if (answer) return new Response(answer.body ?? null, { status: answer.status });
    const stream = new Stream();
    this.streams.push(stream);
    this.wake();
    return new Response(stream.body, { status: 200, headers: { "Content-Type": "text/event-stream" } });
  };

  get stream(): Stream {
    const stream = this.streams.at(-1);
    if (!stream) throw new Error("no stream open");
    return stream;
  }

  /** Resolves once `ready()` holds (checked after every request, and every few ms). */
  async until(ready: () => boolean): Promise<void> {
    while (!ready()) {
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 5);
      });
    }
  }

  answering(handler: (message: { id?: number; method?: string }) => void): void {
    this.onPost = handler;
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

function event(id: number, data: unknown): string {
  return `event: message\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`;
}

async function connected(stub: Stub, extra: { onSessionLost?: (e: SessionLostError) => void } = {}): Promise<{ client: PlainClient; transport: HttpSseTransport; closed: Promise<Error> }> {
  const transport = new HttpSseTransport({ baseUrl: "http://stub", fetch: stub.fetch, contract: CONTRACT, reconnectDelayMs: 1, ...extra });
  const client = await PlainClient.connect({ transport, onError: () => undefined });
  const closed = new Promise<Error>((resolve) => client.onClose(resolve));
  return { client, transport, closed };
}

test("event: lost fails every pending call with SessionLostError, tells the application once, and refuses later calls", async () => {
  const stub = new Stub();
  const told: SessionLostError[] = [];
  const { client, transport, closed } = await connected(stub, { onSessionLost: (e) => told.push(e) });
  const answered = client.request("note/add", { text: "a" });
  const pending = [client.request("note/add", { text: "b" }), client.request("note/dump", { size: 1 })];
  await stub.until(() => stub.posted.length === 3);
  stub.stream.write(event(1, { id: 1, result: { id: 7 } }));
  stub.stream.write(`event: lost\ndata: ${JSON.stringify({ error: "this reader fell behind; events after 1 were not kept", recover: RECOVER })}\n\n`);
  assert.deepEqual(await answered, { id: 7 }, "what came before the notice is delivered");
  for (const [call, method] of [[pending[0], "note/add"], [pending[1], "note/dump"]] as const) {
    assert.ok(call !== undefined);
    const error = await call.catch((e: unknown) => e);
    assert.ok(error instanceof SessionLostError, String(error));
    assert.ok(error instanceof ConnectionClosedError, "a lost session is a closed connection too");
    assert.equal(error.method, method);
    assert.equal(error.recover, RECOVER);
    assert.equal(error.lastEventId, "1");
    assert.match(error.message, /^note\/(add|dump): no response, the HTTP session was lost: this reader fell behind; .*; to recover: open a new session/);
  }
  const onClose = await closed;
  assert.ok(onClose instanceof SessionLostError && onClose.method === undefined, String(onClose));
  assert.equal(told.length, 1);
  assert.equal(transport.lost, told[0]);
  await assert.rejects(client.request("note/add", { text: "c" }), SessionLostError);
  assert.ok(!stub.requests.includes("DELETE /session"), "the server ended that session itself");
  await client.close();
});

test("a reconnect answered 410 is a lost session with the server's message and recovery hint", async () => {
  const stub = new Stub();
  const { client, closed } = await connected(stub);
  stub.stream.write(event(1, { method: "note/added", params: { id: 1 } }) + event(2, { method: "note/added", params: { id: 2 } }));
  const pending = client.request("note/add", { text: "x" });
  await stub.until(() => stub.posted.length === 1);
  stub.eventAnswers.push({ status: 410, body: JSON.stringify({ error: "events after 2 are no longer buffered", recover: RECOVER }) });
  stub.stream.end();
  const error = await pending.catch((e: unknown) => e);
  assert.ok(error instanceof SessionLostError, String(error));
  assert.equal(error.status, 410);
  assert.match(error.message, /^note\/add: no response, the HTTP session was lost \(HTTP 410\): events after 2 are no longer buffered; to recover: open a new session and resume$/);
  assert.ok((await closed) instanceof SessionLostError);
  assert.deepEqual(stub.lastEventIds, [null, "2"], "the reconnect asked for what follows event 2");
});

test("a stream that skips ids is a lost session, never a silent gap; the client frees it on the server", async () => {
  const stub = new Stub();
  const { client, closed } = await connected(stub);
  const seen: unknown[] = [];
  client.on("note/added", (p) => seen.push(p.id));
  stub.stream.write(event(1, { method: "note/added", params: { id: 1 } }) + event(4, { method: "note/added", params: { id: 4 } }));
  const error = await closed;
  assert.ok(error instanceof SessionLostError, String(error));
  assert.match(error.message, /the event stream skipped events 2 to 3$/);
  assert.deepEqual(seen, [1]);
  await stub.until(() => stub.requests.includes("DELETE /session"));
});

test("a reconnect resumes after the last id: replayed events are not delivered twice, nothing is lost", async () => {
  const stub = new Stub();
  const { client, transport } = await connected(stub);
  const seen: number[] = [];
  client.on("note/added", (p) => seen.push(p.id));
  const note = (id: number): string => event(id, { method: "note/added", params: { id } });
  stub.stream.write(note(1) + note(2));
  await stub.until(() => seen.length === 2);
  stub.stream.end();
  await stub.until(() => stub.streams.length === 2);
  stub.stream.write(note(1) + note(2) + note(3)); // a server replaying more than asked
  await stub.until(() => seen.length === 3);
  transport.restartEvents();
  await stub.until(() => stub.streams.length === 3);
  stub.stream.write(note(3) + note(4));
  await stub.until(() => seen.length === 4);
  assert.deepEqual(seen, [1, 2, 3, 4]);
  assert.deepEqual(stub.lastEventIds, [null, "2", "3"]);
  assert.equal(transport.lastEventId, "4");
  await client.close();
});

test("error answers name the status, its meaning and the server's message", async () => {
  for (const [status, body, expected] of [
    [421, JSON.stringify({ error: "host 'evil.example:1' is not served here; start the server with --allow-host" }), /^POST \/session answered 421 Misdirected Request: host 'evil.example:1' is not served here/],
    [431, "", /^POST \/session answered 431 Request Header Fields Too Large \(the server gave no explanation\)$/],
    [503, JSON.stringify({ error: "too many sessions (the limit is 64)" }), /^POST \/session answered 503 Service Unavailable: too many sessions/],
  ] as const) {
    const stub = new Stub();
    stub.refuse.set("POST /session", { status, body });
    const error = await connected(stub).catch((e: unknown) => e);
    assert.ok(error instanceof TransportError, String(error));
    assert.equal(error.status, status);
    assert.match(error.message, expected);
  }
});

test("a POST refused with 413 fails that call with the server's message; 404 fails it as a lost session", async () => {
  const stub = new Stub();
  const { client } = await connected(stub);
  stub.refuse.set("POST /rpc", { status: 413, body: JSON.stringify({ error: "message larger than 1024 bytes" }) });
  const tooLarge = await client.request("note/add", { text: "x" }).catch((e: unknown) => e);
  assert.ok(tooLarge instanceof TransportError && tooLarge.status === 413, String(tooLarge));
  assert.match(tooLarge.message, /^note\/add: the request could not be sent: POST \/rpc answered 413 Content Too Large: message larger than 1024 bytes$/);
  assert.equal(tooLarge.serverMessage, undefined, "the client's wrapper keeps the cause");
  assert.equal((tooLarge.cause as TransportError).serverMessage, "message larger than 1024 bytes");
  stub.refuse.set("POST /rpc", { status: 404, body: JSON.stringify({ error: "unknown or closed session" }) });
  const gone = await client.request("note/add", { text: "x" }).catch((e: unknown) => e);
  assert.ok(gone instanceof SessionLostError && gone.status === 404, String(gone));
  assert.match(gone.message, /^note\/add: no response, the HTTP session was lost \(HTTP 404\): unknown or closed session$/);
  await client.close();
});

test("a reconnect refused with 400 ends the connection at once with the server's reason", async () => {
  const stub = new Stub();
  const { closed } = await connected(stub);
  stub.eventAnswers.push({ status: 400, body: JSON.stringify({ error: "Last-Event-ID 9 is beyond the newest event 0" }) });
  stub.stream.end();
  const error = await closed;
  assert.ok(error instanceof ConnectionClosedError && !(error instanceof SessionLostError), String(error));
  assert.match(error.message, /^the event stream is gone: GET \/events answered 400 Bad Request: Last-Event-ID 9 is beyond the newest event 0$/);
  assert.equal(stub.lastEventIds.length, 2, "no retry loop after a 400");
});

test("renew() gives a transport for a new session with the same options", async () => {
  const stub = new Stub();
  const { client, transport } = await connected(stub);
  const fresh = transport.renew();
  assert.notEqual(fresh, transport);
  const again = await PlainClient.connect({ transport: fresh });
  assert.equal(fresh.sessionId, "s1");
  assert.equal(stub.requests.filter((r) => r === "POST /session").length, 2);
  await again.close();
  await client.close();
});
