// HTTP+SSE-only behaviour: reconnection with Last-Event-ID, replay de-duplication, auth, health.
import assert from "node:assert/strict";
import { test } from "node:test";

import { AppServerClient } from "../src/index.js";
import { MessageTooLargeError, SessionLostError, TransportError } from "@threadloom/runtime";
import { HttpSseTransport } from "@threadloom/runtime";
import * as v2 from "../src/v2.js";
import { FakeHttpServer, RECOVER_HINT } from "./fixtures/fake-http-server.js";
import { CLIENT_INFO, httpHarness, runTurn } from "./helpers.js";

test("events lost while the stream was cut are replayed after a reconnect with Last-Event-ID", async () => {
  const h = await httpHarness();
  const http = h.http as FakeHttpServer;
  const transport = h.transport as HttpSseTransport;
  try {
    await h.client.initialize({ clientInfo: CLIENT_INFO });
    const { thread } = await h.client.call.threadStart({});
    await h.client.call.threadList({});
    const seenBeforeCut = transport.lastEventId;
    assert.ok(seenBeforeCut !== undefined && Number(seenBeforeCut) >= 3, `last event id ${seenBeforeCut}`);
    // The next 4 events (the turn/start response among them) are kept back, then the stream is cut.
    http.loseEvents(4);
    const turn = runTurn(h.client, thread.id, "hello");
    const { deltas, final } = await turn;
    assert.equal(deltas.join(""), "Héllo, wörld 🌍 ✓ 日本語");
    assert.equal(final.status, "completed");
    assert.equal(http.lost, 4);
    assert.ok(transport.reconnects >= 1);
    assert.equal(http.lastEventIds[0], "", "the first connection has no Last-Event-ID");
    assert.ok(http.lastEventIds.includes(seenBeforeCut), `reconnects sent ${JSON.stringify(http.lastEventIds)}`);
  } finally {
    await h.dispose();
  }
});

test("a server that replays an event twice does not make the client see it twice", async () => {
  const h = await httpHarness();
  const http = h.http as FakeHttpServer;
  try {
    await h.client.initialize({ clientInfo: CLIENT_INFO });
    const { thread } = await h.client.call.threadStart({});
    http.overReplay = true;
    const started: string[] = [];
    h.client.on("thread/started", (p) => started.push(p.thread.id));
    http.dropStreams();
    const second = await h.client.call.threadStart({});
    await h.client.call.threadList({});
    assert.deepEqual(started, [second.thread.id], `thread ${thread.id}'s thread/started must not be delivered again`);
  } finally {
    await h.dispose();
  }
});

test("a wrong bearer token fails to connect with the HTTP status", async () => {
  const http = await new FakeHttpServer().listen();
  try {
    const client = new AppServerClient({ transport: new HttpSseTransport({ baseUrl: http.url, token: "wrong" }) });
    await assert.rejects(client.initialize({ clientInfo: CLIENT_INFO }), (e: unknown) => e instanceof TransportError && e.status === 401);
  } finally {
    await http.close();
  }
});

test("healthz answers 200 without a token; a closed port is unhealthy", async () => {
  const http = await new FakeHttpServer().listen();
  const url = http.url;
  assert.equal(await HttpSseTransport.healthy(url), true);
  await http.close();
  assert.equal(await HttpSseTransport.healthy(url), false);
});

test("close() ends the session on the server (DELETE /session)", async () => {
  const h = await httpHarness();
  const http = h.http as FakeHttpServer;
  try {
    await h.client.initialize({ clientInfo: CLIENT_INFO });
    assert.equal(http.sessions.size, 1);
    await h.client.close();
    assert.equal(http.sessions.size, 0);
  } finally {
    await h.dispose();
  }
});

test("an event beyond the message limit fails the call it answered, and the session goes on", async () => {
  const http = await new FakeHttpServer().listen();
  const contract = { ...v2.TRANSPORTS.http, maxMessageBytes: 4096 };
  const client = new AppServerClient({ transport: new HttpSseTransport({ baseUrl: http.url, token: http.token, contract }), onError: () => undefined });
  try {
    await client.initialize({ clientInfo: CLIENT_INFO });
    for (let i = 0; i < 3; i++) await client.call.threadStart({ cwd: "/" + "d".repeat(1500) });
    const error = await client.call.threadList({}).catch((e: unknown) => e);
    assert.ok(error instanceof MessageTooLargeError, String(error));
    assert.equal(error.method, "thread/list");
    assert.equal(error.writer, "the peer");
    assert.equal((await client.call.threadStart({})).thread.cwd, "/workspace");
  } finally {
    await client.close();
    await http.close();
  }
});

test("a session that fell behind (event: lost) fails the pending call with SessionLostError and tells the application", async () => {
  const h = await httpHarness();
  const http = h.http as FakeHttpServer;
  const transport = h.transport as HttpSseTransport;
  try {
    await h.client.initialize({ clientInfo: CLIENT_INFO });
    const lost = new Promise<SessionLostError>((resolve) => transport.onSessionLost(resolve));
    const closed = new Promise<Error>((resolve) => h.client.onClose(resolve));
    http.holdEvents = true;
    const pending = h.client.call.threadStart({});
    while (http.heldEvents === 0) await new Promise((r) => setTimeout(r, 5));
    http.fallBehind();
    http.holdEvents = false;
    const error = await pending.catch((e: unknown) => e);
    assert.ok(error instanceof SessionLostError, String(error));
    assert.equal(error.method, "thread/start");
    assert.equal(error.recover, RECOVER_HINT);
    assert.match(error.message, /^thread\/start: no response, the HTTP session was lost: this reader fell behind; events after \d+ were not kept; to recover: open a new session/);
    assert.equal(await lost, await closed);
    assert.equal(http.lastEventIds.length, 1, "no reconnect to a session the server ended");
    const after = await h.client.call.threadList({}).catch((e: unknown) => e);
    assert.ok(after instanceof SessionLostError, String(after));
    // Recovery: a new session through the same options.
    const fresh = await AppServerClient.connect({ transport: transport.renew(), clientInfo: CLIENT_INFO });
    assert.equal((await fresh.call.threadStart({})).thread.cwd, "/workspace");
    await fresh.close();
  } finally {
    await h.dispose();
  }
});

test("a reconnect after the server forgot the missed events gets 410: the pending call fails as a lost session", async () => {
  const h = await httpHarness();
  const http = h.http as FakeHttpServer;
  const transport = h.transport as HttpSseTransport;
  try {
    await h.client.initialize({ clientInfo: CLIENT_INFO });
    const seen = transport.lastEventId;
    http.holdEvents = true;
    const pending = h.client.call.threadList({});
    while (http.heldEvents === 0) await new Promise((r) => setTimeout(r, 5));
    http.evictThrough(Number(seen) + 1);
    http.dropStreams();
    const error = await pending.catch((e: unknown) => e);
    assert.ok(error instanceof SessionLostError && error.status === 410, String(error));
    assert.match(error.message, new RegExp(`^thread/list: no response, the HTTP session was lost \\(HTTP 410\\): events after ${seen} are no longer buffered; to recover: `));
    assert.equal(http.lastEventIds.at(-1), seen, "the reconnect sent the last id it saw, as digits");
  } finally {
    await h.dispose();
  }
});

test("a bad Last-Event-ID is refused with 400 and ends the connection with the server's reason", async () => {
  const h = await httpHarness();
  const http = h.http as FakeHttpServer;
  const transport = h.transport as HttpSseTransport;
  try {
    await h.client.initialize({ clientInfo: CLIENT_INFO });
    const closed = new Promise<Error>((resolve) => h.client.onClose(resolve));
    transport.lastEventId = "1".repeat(19);
    http.dropStreams();
    const error = await closed;
    assert.match(error.message, /^the event stream is gone: GET \/events answered 400 Bad Request: Last-Event-ID must be a non-negative integer of at most 18 ASCII digits$/);
    assert.ok(!(error instanceof SessionLostError));
  } finally {
    await h.dispose();
  }
});
