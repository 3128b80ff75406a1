// HTTP + Server-Sent Events transport (Node 20+ and browsers: fetch + a streaming SSE reader).
// Contract (see README.md): POST {base}/session -> {"sessionId"}; POST {base}/rpc with one message
// -> 202; GET {base}/events?session=<id> -> SSE `message` events with increasing ids; reconnect
// with Last-Event-ID to get what was missed; DELETE {base}/session ends it. Bearer auth throughout.
// The paths and the session header come from the protocol's `x-protocol.transports.http`. Events are
// read one `read()` at a time, and not at all while the client is saturated (backpressure).
import { ConnectionClosedError, MessageTooLargeError, TransportError } from "./errors.js";
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
}

// Statuses after which reconnecting cannot help: bad token, unknown session, history gone.
const FATAL_STATUSES = new Set([400, 401, 403, 404, 410]);

export class HttpSseTransport implements Transport {
  /** The session id, once started. */
  sessionId: string | undefined = undefined;
  /** The id of the last event received; sent as Last-Event-ID when reconnecting. */
  lastEventId: string | undefined = undefined;
  /** How many times the event stream was reopened (for diagnostics and tests). */
  reconnects = 0;

  private readonly fetch: typeof fetch;
  private readonly base: string;
  private readonly stream = new AbortController();
  private closed = false;
  private retryMs: number;
  private contract: HttpTransportInfo | undefined = undefined;
  private maxEventSize = DEFAULT_MAX_MESSAGE_BYTES;

  constructor(private readonly options: HttpSseOptions) {
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.base = options.baseUrl.replace(/\/+$/, "");
    this.retryMs = options.reconnectDelayMs ?? 500;
  }

  /** GET {base}/healthz: whether the server answers 200. */
  static async healthy(baseUrl: string, fetchImpl: typeof fetch = globalThis.fetch.bind(globalThis)): Promise<boolean> {
    try {
      return (await fetchImpl(`${baseUrl.replace(/\/+$/, "")}/healthz`)).status === 200;
    } catch {
      return false;
    }
  }

  async start(events: TransportEvents, protocol: ProtocolInfo): Promise<void> {
    const contract = this.options.contract ?? protocol.transports.http;
    if (contract === undefined) throw new TransportError(`protocol ${protocol.name} defines no HTTP transport (x-protocol.transports.http)`);
    this.contract = contract;
    this.maxEventSize = contract.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const response = await this.request("POST", "/session");
    const body = (await response.json()) as { sessionId?: unknown };
    if (typeof body.sessionId !== "string") throw new TransportError("POST /session did not return a sessionId", response.status);
    this.sessionId = body.sessionId;
    const first = await this.openEvents();
    void this.pump(first, events);
  }

  async send(message: Message): Promise<void> {
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
    this.stream.abort();
    if (this.sessionId !== undefined) {
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
      const cause = error instanceof Error ? error : new Error(String(error));
      const detail = cause.cause instanceof Error ? ` (${cause.cause.message})` : "";
      throw new TransportError(`${method} ${path} failed: ${cause.message}${detail}`, undefined, { cause });
    });
    if (!response.ok) {
      const text = await response.text().catch(() => "");
      throw new TransportError(`${method} ${path} answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ""}`, response.status);
    }
    return response;
  }

  private async openEvents(): Promise<Response> {
    const headers = this.headers({ Accept: "text/event-stream" });
    if (this.lastEventId !== undefined) headers["Last-Event-ID"] = this.lastEventId;
    const eventsPath = this.paths().events;
    const url = `${this.base}${eventsPath}?session=${encodeURIComponent(this.sessionId ?? "")}`;
    const response = await this.fetch(url, { headers, signal: this.stream.signal, cache: "no-store" });
    if (!response.ok || !response.body) {
      const text = await response.text().catch(() => "");
      throw new TransportError(`GET ${eventsPath} answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ""}`, response.status);
    }
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
        lastError = error instanceof Error ? error : new TransportError(String(error));
        if (error instanceof TransportError && error.status !== undefined && FATAL_STATUSES.has(error.status)) break;
        fruitless += 1;
      }
      response = undefined;
      if (this.closed || fruitless > maxAttempts) break;
      await delay(this.retryMs);
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
    let delivered = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const event of parser.push(value)) {
          if (event.type !== "message" || this.isReplayed(event.lastEventId)) continue;
          if (event.lastEventId !== "") this.lastEventId = event.lastEventId;
          delivered += 1;
          if (event.oversized !== undefined) {
            events.oversized(event.data, event.oversized, this.maxEventSize);
            continue;
          }
          const saturated = this.deliver(event.data, events);
          if (saturated) await saturated;
        }
        if (parser.retryMs !== undefined) this.retryMs = parser.retryMs;
      }
    } finally {
      parser.end();
      reader.releaseLock();
    }
    return delivered;
  }

  // A server that replays a little too much must not make the client see a message twice.
  private isReplayed(id: string): boolean {
    if (this.lastEventId === undefined || !/^\d+$/.test(id) || !/^\d+$/.test(this.lastEventId)) return false;
    return Number(id) <= Number(this.lastEventId);
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

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
