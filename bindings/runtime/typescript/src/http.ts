// HTTP + Server-Sent Events transport (Node 20+ and browsers: fetch + a streaming SSE reader).
// Contract (see README.md): POST {base}/session -> {"sessionId"}; POST {base}/rpc with one message
// -> 202; GET {base}/events?session=<id> -> SSE `message` events with consecutive ids from 1;
// reconnect with Last-Event-ID to get what was missed; DELETE {base}/session ends it. Bearer auth
// throughout. The paths and the session header come from the protocol's `x-protocol.transports.http`.
// Events are read one `read()` at a time, and not at all while the client is saturated
// (backpressure). Every event is delivered exactly once, in order, or the session is declared lost
// (`SessionLostError`): `event: lost`, a 410/404 on reconnect, or a gap in the ids. Never a silent skip.
import { ConnectionClosedError, MessageTooLargeError, SessionLostError, TransportError } from "./errors.js";
import { utf8Length } from "./jsonl.js";
import type { Message } from "./jsonrpc.js";
import { DEFAULT_MAX_MESSAGE_BYTES, type HttpTransportInfo, type ProtocolInfo } from "./protocol.js";
import { SseParser } from "./sse.js";
import type { Transport, TransportEvents } from "./transport.js";

export interface HttpSseOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:8765` (a path prefix is kept). */
  baseUrl: string;
  /** The bearer token. */
  token?: string;
  /** fetch to use; default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Delay before reconnecting the event stream, unless the server sent `retry:`. Default 500 ms. */
  reconnectDelayMs?: number;
  /** Reconnections in a row that bring no event before giving up. Default 5. */
  maxReconnectAttempts?: number;
  /** Paths and header; default the protocol's `transports.http`. */
  contract?: HttpTransportInfo;
  /** Called once when the session is lost (see `SessionLostError`); so is the client's `onClose`. */
  onSessionLost?: (error: SessionLostError) => void;
}

// Statuses after which reconnecting the event stream cannot help: a malformed or future
// Last-Event-ID (400), bad token (401), foreign origin (403), foreign host (421), headers too large
// (431). 404 and 410 mean the session is lost, which is reported as such.
const FATAL_STATUSES = new Set([400, 401, 403, 421, 431]);
const SESSION_GONE_STATUSES = new Set([404, 410]);

// What the server's answer means, for statuses whose reason phrase fetch may not give (HTTP/2, browsers).
const REASONS: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  408: "Request Timeout",
  410: "Gone",
  413: "Content Too Large",
  421: "Misdirected Request",
  431: "Request Header Fields Too Large",
  503: "Service Unavailable",
};

/** The largest error answer read from the server: enough for any explanation, bounded for a hostile peer. */
const ERROR_BODY_LIMIT = 4096;

/** Event ids the client tracks and sends back: what the server accepts in Last-Event-ID. */
const EVENT_ID = /^[0-9]{1,18}$/;

export class HttpSseTransport implements Transport {
  /** The session id, once started. */
  sessionId: string | undefined = undefined;
  /** The id of the last event received (ASCII digits); sent as Last-Event-ID when reconnecting. */
  lastEventId: string | undefined = undefined;
  /** How many times the event stream was reopened (for diagnostics and tests). */
  reconnects = 0;
  /** Why the session was lost, once it was. */
  lost: SessionLostError | undefined = undefined;

  private readonly fetch: typeof fetch;
  private readonly base: string;
  private readonly sessionLostListeners = new Set<(error: SessionLostError) => void>();
  private streamAbort = new AbortController();
  private restartRequested = false;
  private closed = false;
  private retryMs: number;
  private contract: HttpTransportInfo | undefined = undefined;
  private maxEventSize = DEFAULT_MAX_MESSAGE_BYTES;
  private events: TransportEvents | undefined = undefined;

  constructor(private readonly options: HttpSseOptions) {
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.base = options.baseUrl.replace(/\/+$/, "");
    this.retryMs = options.reconnectDelayMs ?? 500;
    if (options.onSessionLost !== undefined) this.sessionLostListeners.add(options.onSessionLost);
  }

  /** GET {base}/healthz: whether the server answers 200. */
  static async healthy(baseUrl: string, fetchImpl: typeof fetch = globalThis.fetch.bind(globalThis)): Promise<boolean> {
    try {
      return (await fetchImpl(`${baseUrl.replace(/\/+$/, "")}/healthz`)).status === 200;
    } catch {
      return false;
    }
  }

  /**
   * A new transport with the same options, for a new session: what an application connects with
   * after a `SessionLostError` (then it re-syncs its state, e.g. resumes its threads).
   */
  renew(): HttpSseTransport {
    return new HttpSseTransport(this.options);
  }

  /** Listen for the loss of the session (called at most once); returns the unsubscribe function. */
  onSessionLost(listener: (error: SessionLostError) => void): () => void {
    this.sessionLostListeners.add(listener);
    return () => this.sessionLostListeners.delete(listener);
  }

  /**
   * Drop the current event stream and open a new one at once, resuming after `lastEventId`
   * (e.g. after the network changed). Nothing is lost or delivered twice.
   */
  restartEvents(): void {
    if (this.closed) return;
    this.restartRequested = true;
    this.streamAbort.abort(new ConnectionClosedError("event stream restarted"));
  }

  async start(events: TransportEvents, protocol: ProtocolInfo): Promise<void> {
    const contract = this.options.contract ?? protocol.transports.http;
    if (contract === undefined) throw new TransportError(`protocol ${protocol.name} defines no HTTP transport (x-protocol.transports.http)`);
    this.contract = contract;
    this.maxEventSize = contract.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.events = events;
    const response = await this.request("POST", "/session");
    const body = (await response.json()) as { sessionId?: unknown };
    if (typeof body.sessionId !== "string") throw new TransportError("POST /session did not return a sessionId", response.status);
    this.sessionId = body.sessionId;
    const first = await this.openEvents();
    void this.pump(first, events);
  }

  async send(message: Message): Promise<void> {
    if (this.lost !== undefined) throw this.lost;
    if (this.closed || this.sessionId === undefined) throw new ConnectionClosedError("the HTTP session is closed");
    const path = this.paths().post;
    const body = JSON.stringify(message);
    const size = utf8Length(body, this.maxEventSize);
    if (size > this.maxEventSize) throw new MessageTooLargeError(size, this.maxEventSize, "method" in message ? message.method : undefined, "the client");
    const response = await this.request("POST", path, body);
    if (response.status !== 202) throw new TransportError(`POST ${path} answered ${response.status}, expected 202`, response.status);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.streamAbort.abort(new ConnectionClosedError("client closed"));
    if (this.sessionId !== undefined && this.lost === undefined) {
      // Best effort: the server also ends idle sessions on its own.
      await this.request("DELETE", "/session").catch(() => undefined);
    }
  }

  private paths(): HttpTransportInfo {
    if (this.contract === undefined) throw new ConnectionClosedError("the HTTP transport is not started");
    return this.contract;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { ...extra };
    if (this.options.token !== undefined) headers["Authorization"] = `Bearer ${this.options.token}`;
    if (this.sessionId !== undefined && this.contract !== undefined) headers[this.contract.sessionHeader] = this.sessionId;
    return headers;
  }

  private async request(method: string, path: string, body?: string): Promise<Response> {
    const init: RequestInit = { method, headers: this.headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
    if (body !== undefined) init.body = body;
    const response = await this.fetch(`${this.base}${path}`, init).catch((error: unknown) => {
      throw unreachable(method, path, error);
    });
    if (!response.ok) {
      // A POST to a session the server no longer has: the call is lost with it (the event stream
      // reports the loss for everything else).
      if (response.status === 404 && path === this.contract?.post) throw await sessionGone(`${method} ${path}`, response, this.lastEventId);
      throw await httpError(`${method} ${path}`, response);
    }
    return response;
  }

  private async openEvents(): Promise<Response> {
    const headers = this.headers({ Accept: "text/event-stream" });
    if (this.lastEventId !== undefined) headers["Last-Event-ID"] = this.lastEventId;
    const eventsPath = this.paths().events;
    const url = `${this.base}${eventsPath}?session=${encodeURIComponent(this.sessionId ?? "")}`;
    this.streamAbort = new AbortController();
    const response = await this.fetch(url, { headers, signal: this.streamAbort.signal, cache: "no-store" }).catch((error: unknown) => {
      throw unreachable("GET", eventsPath, error);
    });
    if (SESSION_GONE_STATUSES.has(response.status)) throw await sessionGone(`GET ${eventsPath}`, response, this.lastEventId);
    if (!response.ok || !response.body) throw await httpError(`GET ${eventsPath}`, response);
    return response;
  }

  // Read the stream; when it ends or breaks, reconnect with Last-Event-ID until it works again or
  // `maxReconnectAttempts` tries in a row brought nothing.
  private async pump(first: Response, events: TransportEvents): Promise<void> {
    const maxAttempts = this.options.maxReconnectAttempts ?? 5;
    let response: Response | undefined = first;
    let fruitless = 0;
    let lastError: Error = new ConnectionClosedError("the event stream ended");
    while (!this.closed) {
      try {
        response ??= await this.openEvents();
        const delivered = await this.read(response, events);
        lastError = new ConnectionClosedError("the event stream ended");
        fruitless = delivered > 0 ? 0 : fruitless + 1;
      } catch (error) {
        if (this.closed) return;
        if (error instanceof SessionLostError) return this.lose(error);
        lastError = error instanceof Error ? error : new TransportError(String(error));
        if (error instanceof TransportError && error.status !== undefined && FATAL_STATUSES.has(error.status)) break;
        if (!this.restartRequested) fruitless += 1;
      }
      response = undefined;
      if (this.closed || fruitless > maxAttempts) break;
      if (this.restartRequested) this.restartRequested = false;
      else await delay(this.retryMs);
      this.reconnects += 1;
    }
    if (!this.closed) {
      this.closed = true;
      events.close(new ConnectionClosedError(`the event stream is gone: ${lastError.message}`, { cause: lastError }));
    }
  }

  /** Deliver the events of one stream; returns how many messages it brought. */
  private async read(response: Response, events: TransportEvents): Promise<number> {
    const parser = new SseParser(this.lastEventId ?? "", this.maxEventSize);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    // Ending the stream (close, restart, loss) stops the read even if `fetch` ignores its signal.
    const signal = this.streamAbort.signal;
    const stop = (): void => void reader.cancel(signal.reason).catch(() => undefined);
    signal.addEventListener("abort", stop, { once: true });
    if (signal.aborted) stop(); // ended while the response was on its way
    let delivered = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const event of parser.push(value)) {
          if (event.type === "lost") throw lostNotice(event.data, this.lastEventId);
          if (event.type !== "message" || this.isReplayed(event.lastEventId)) continue;
          this.advance(event.lastEventId);
          delivered += 1;
          if (event.oversized !== undefined) {
            events.oversized(event.data, event.oversized, this.maxEventSize);
            continue;
          }
          const saturated = this.deliver(event.data, events);
          if (saturated) await saturated;
          if (this.closed) return delivered;
        }
        if (parser.retryMs !== undefined) this.retryMs = parser.retryMs;
      }
    } finally {
      signal.removeEventListener("abort", stop);
      parser.end();
      reader.releaseLock();
    }
    return delivered;
  }

  // A server that replays a little too much must not make the client see a message twice.
  private isReplayed(id: string): boolean {
    if (this.lastEventId === undefined || !EVENT_ID.test(id)) return false;
    return BigInt(id) <= BigInt(this.lastEventId);
  }

  // Ids are consecutive from 1: an event whose predecessors never came means they are gone.
  private advance(id: string): void {
    if (!EVENT_ID.test(id)) return;
    const expected = BigInt(this.lastEventId ?? "0") + 1n;
    if (BigInt(id) > expected) {
      const skipped = BigInt(id) - 1n === expected ? `event ${expected}` : `events ${expected} to ${BigInt(id) - 1n}`;
      throw new SessionLostError(`the event stream skipped ${skipped}`, undefined, undefined, this.lastEventId);
    }
    this.lastEventId = id;
  }

  /** The session is gone: fail everything pending with `error`, tell the listeners, stop. */
  private lose(error: SessionLostError): void {
    if (this.closed) return;
    this.closed = true;
    this.lost = error;
    this.streamAbort.abort(error);
    // A gap only the client saw: the server still holds the session, free it (best effort).
    // A loss the server declared needs nothing more: that session has ended there.
    if (error.status === undefined && error.recover === undefined) void this.request("DELETE", "/session").catch(() => undefined);
    for (const listener of this.sessionLostListeners) listener(error);
    this.events?.close(error);
  }

  private deliver(data: string, events: TransportEvents): void | Promise<void> {
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch {
      events.protocolError(new TransportError(`an event's data is not JSON: ${data.slice(0, 200)}`));
      return;
    }
    return events.message(value);
  }
}

/** The server's explanation from an error answer: its JSON `error` and `recover` members, or its text. */
async function explanation(response: Response): Promise<{ error: string | undefined; recover: string | undefined }> {
  const text = await readSome(response, ERROR_BODY_LIMIT);
  try {
    const body = JSON.parse(text) as { error?: unknown; recover?: unknown };
    if (typeof body === "object" && body !== null && typeof body.error === "string") {
      return { error: body.error, recover: typeof body.recover === "string" ? body.recover : undefined };
    }
  } catch {
    // not JSON: the text itself
  }
  return { error: text.trim() === "" ? undefined : text.trim().slice(0, 500), recover: undefined };
}

/** `GET /events answered 421 Misdirected Request: host 'x' is not served here; ...`. */
async function httpError(what: string, response: Response): Promise<TransportError> {
  const { error } = await explanation(response);
  const reason = REASONS[response.status] ?? response.statusText;
  const said = error === undefined ? " (the server gave no explanation)" : `: ${error}`;
  return new TransportError(`${what} answered ${response.status}${reason ? ` ${reason}` : ""}${said}`, response.status, undefined, error);
}

async function sessionGone(what: string, response: Response, lastEventId: string | undefined): Promise<SessionLostError> {
  const { error, recover } = await explanation(response);
  const message = error ?? `${what} answered ${response.status} ${REASONS[response.status] ?? response.statusText}`;
  return new SessionLostError(message, recover, response.status, lastEventId);
}

/** `event: lost` ends the stream: its data is `{"error", "recover"}`. */
function lostNotice(data: string, lastEventId: string | undefined): SessionLostError {
  let error = "the server reports this reader fell behind and ended the session";
  let recover: string | undefined = undefined;
  try {
    const body = JSON.parse(data) as { error?: unknown; recover?: unknown };
    if (typeof body.error === "string") error = body.error;
    if (typeof body.recover === "string") recover = body.recover;
  } catch {
    // keep the generic explanation
  }
  return new SessionLostError(error, recover, undefined, lastEventId);
}

function unreachable(method: string, path: string, error: unknown): TransportError {
  const cause = error instanceof Error ? error : new Error(String(error));
  const detail = cause.cause instanceof Error ? ` (${cause.cause.message})` : "";
  return new TransportError(`${method} ${path} failed: ${cause.message}${detail}`, undefined, { cause });
}

/** At most `limit` bytes of a body, decoded; the rest is not read. */
async function readSome(response: Response, limit: number): Promise<string> {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // a broken error answer: what arrived is the explanation
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return new TextDecoder().decode(bytes.subarray(0, limit));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
