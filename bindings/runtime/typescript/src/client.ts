// Client: typed requests, notifications and server->client request handlers over any Transport,
// for any protocol. Generated code supplies the protocol: a `Spec` type (method maps, error data)
// and a `ProtocolInfo` value (method and error tables, handshake, framing, transports).
import { ConnectionClosedError, MessageTooLargeError, ProtocolError, RequestAbortedError, RequestTimeoutError, RpcError, SessionLostError, TransportError } from "./errors.js";
import { classify, peekEnvelope, type ErrorPayload, type FailureMessage, type Message, type NotificationMessage, type RequestId, type RequestMessage, type SuccessMessage } from "./jsonrpc.js";
import { getAt, withDefaultAt } from "./pointer.js";
import type {
  AnySpec,
  ClientNotificationMethod,
  HandshakeParams,
  HandshakeResult,
  NotificationMethod,
  ParamsOf,
  ProtocolInfo,
  RequestMethod,
  ResultOf,
  ServerRequestMethod,
} from "./protocol.js";
import type { Transport } from "./transport.js";

/** `note/tag/add` -> `noteTagAdd`: the names of the typed call proxy. */
export type CamelMethod<M extends string> = M extends `${infer Head}/${infer Tail}` ? `${Head}${Capitalize<CamelMethod<Tail>>}` : M;

export type CallProxy<S extends AnySpec> = {
  [M in RequestMethod<S> as CamelMethod<M>]: (params: ParamsOf<S, M>, options?: RequestOptions) => Promise<ResultOf<S, M>>;
};

export interface RequestOptions {
  /** Reject with RequestTimeoutError after this long; overrides the client's default. 0 = none. */
  timeoutMs?: number;
  /** Reject with RequestAbortedError when this fires. */
  signal?: AbortSignal;
}

export interface ServerRequestContext {
  id: RequestId;
  method: string;
  /** Fires when the client closes before the handler answered. */
  signal: AbortSignal;
}

export type ServerRequestHandler<S extends AnySpec, M extends ServerRequestMethod<S>> = (
  params: S["serverRequests"][M]["params"],
  context: ServerRequestContext,
) => S["serverRequests"][M]["result"] | Promise<S["serverRequests"][M]["result"]>;

export interface ClientOptions {
  transport: Transport;
  /** Default per-request timeout in ms (0 = none). Default 60000. */
  requestTimeoutMs?: number;
  /** Protocol versions offered in the handshake, most preferred first. Default: the generated list. */
  protocolVersions?: readonly number[];
  /** Opt in to experimental methods and fields (where the handshake declares an opt-in). */
  experimental?: boolean;
  /** Notification methods the server should not send (where the handshake declares opt-outs). */
  optOutNotifications?: readonly string[];
  /**
   * Server->client requests handled at once. When this many are running the client stops reading
   * (the transport applies backpressure) until one finishes. Default 64.
   */
  maxConcurrentHandlers?: number;
  /** Unreadable input, and exceptions thrown by notification listeners. Default: console.error. */
  onError?: (error: Error) => void;
}

/** Options of a generated `connect()`: client options, request options and the handshake's params. */
export type ConnectOptions<S extends AnySpec> = ClientOptions & RequestOptions & ([S["handshake"]] extends [never] ? unknown : HandshakeParams<S>);

// The keys `connect()` takes for itself; every other member is a handshake parameter.
const OWN_OPTION_KEYS = new Set([
  "transport",
  "requestTimeoutMs",
  "protocolVersions",
  "experimental",
  "optOutNotifications",
  "maxConcurrentHandlers",
  "onError",
  "timeoutMs",
  "signal",
]);

export interface HandshakeOutcome<S extends AnySpec> {
  /** The handshake's result, as the server sent it. */
  result: HandshakeResult<S>;
  /** The version both sides speak on this connection. */
  protocolVersion: number;
}

interface Pending {
  method: string;
  resolve(result: unknown): void;
  reject(error: Error): void;
  cleanup(): void;
}

type NotificationListener = (params: unknown, method: string, message: NotificationMessage) => void;

export class Client<S extends AnySpec> {
  /** The negotiated protocol version, once the handshake succeeded (at start without a handshake). */
  protocolVersion: number | undefined = undefined;
  /** Typed one-method-per-request proxy: `client.call.noteAdd({ text })` for `note/add`. */
  readonly call: CallProxy<S>;

  private readonly transport: Transport;
  private readonly defaultTimeoutMs: number;
  private readonly offeredVersions: readonly number[];
  private readonly reportError: (error: Error) => void;
  private readonly maxHandlers: number;
  private readonly pending = new Map<RequestId, Pending>();
  private readonly listeners = new Map<string, Set<NotificationListener>>();
  private readonly anyListeners = new Set<NotificationListener>();
  private readonly handlers = new Map<string, (params: unknown, context: ServerRequestContext) => unknown>();
  private readonly closeListeners = new Set<(error: Error) => void>();
  private readonly handlerAbort = new AbortController();
  private handlersRunning = 0;
  private handlerSlotFreed: (() => void) | undefined = undefined;
  private nextId = 1;
  private closedBy: Error | undefined = undefined;
  private started: Promise<void> | undefined = undefined;
  private connected = false;

  constructor(
    /** The protocol version's generated tables. */
    readonly protocol: ProtocolInfo,
    private readonly options: ClientOptions,
  ) {
    this.transport = options.transport;
    this.defaultTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.offeredVersions = options.protocolVersions ?? protocol.versions;
    this.reportError = options.onError ?? ((error) => console.error(error));
    this.maxHandlers = Math.max(1, options.maxConcurrentHandlers ?? 64);
    this.call = this.makeCallProxy();
  }

  /** Connect the transport (done by the first request if not called). */
  start(): Promise<void> {
    this.started ??= this.transport
      .start(
        {
          message: (value) => this.receive(value),
          oversized: (head, size, limit) => this.onOversized(head, size, limit),
          close: (error) => this.shutDown(error),
          protocolError: (error) => this.reportError(error),
        },
        this.protocol,
      )
      .then(() => {
        this.connected = true;
        if (this.protocol.handshake === null) this.protocolVersion = this.protocol.version;
      });
    return this.started;
  }

  /**
   * The protocol's handshake: send its request with `params` (plus the version offer, experimental
   * opt-in and notification opt-outs where the protocol declares them and `params` has none), check
   * the version the server chose, then send the `initialized` notification if there is one.
   */
  async initialize(params: HandshakeParams<S>, options: RequestOptions = {}): Promise<HandshakeOutcome<S>> {
    const handshake = this.protocol.handshake;
    if (handshake === null) throw new ProtocolError(`protocol ${this.protocol.name} declares no handshake`);
    let sent = { ...(params as Record<string, unknown>) };
    if (handshake.versionOffer !== null) {
      sent = withDefaultAt(sent, handshake.versionOffer, handshake.versionOfferIsList ? [...this.offeredVersions] : this.offeredVersions[0]);
    }
    if (handshake.experimentalOptIn !== null && this.options.experimental !== undefined) {
      sent = withDefaultAt(sent, handshake.experimentalOptIn, this.options.experimental);
    }
    if (handshake.optOutNotifications !== null && this.options.optOutNotifications !== undefined) {
      sent = withDefaultAt(sent, handshake.optOutNotifications, [...this.options.optOutNotifications]);
    }
    const result = await this.send(handshake.method, sent, options);
    const version = this.chosenVersion(result);
    this.protocolVersion = version;
    if (handshake.initialized !== null) await this.sendNotification(handshake.initialized, {});
    return { result: result as HandshakeResult<S>, protocolVersion: version };
  }

  /** Start, then perform the handshake if the protocol has one; closes the client if that fails. */
  protected async open(options: ConnectOptions<S>): Promise<this> {
    const params = Object.fromEntries(Object.entries(options).filter(([key]) => !OWN_OPTION_KEYS.has(key)));
    try {
      if (this.protocol.handshake === null) await this.start();
      else await this.initialize(params as HandshakeParams<S>, options);
    } catch (error) {
      await this.close();
      throw error;
    }
    return this;
  }

  /** Send a request and wait for its result; a JSON-RPC error rejects with RpcError. */
  request<M extends RequestMethod<S>>(method: M, params: ParamsOf<S, M>, options: RequestOptions = {}): Promise<ResultOf<S, M>> {
    return this.send(method, params, options) as Promise<ResultOf<S, M>>;
  }

  /** Send a client notification. */
  notify<M extends ClientNotificationMethod<S>>(method: M, params: S["clientNotifications"][M]["params"]): Promise<void> {
    return this.sendNotification(method, params);
  }

  /** Listen to one server notification; returns the unsubscribe function. */
  on<M extends NotificationMethod<S>>(method: M, listener: (params: S["serverNotifications"][M]["params"], message: NotificationMessage) => void): () => void {
    const set = this.listeners.get(method) ?? new Set<NotificationListener>();
    this.listeners.set(method, set);
    const wrapped: NotificationListener = (params, _, message) => listener(params as S["serverNotifications"][M]["params"], message);
    set.add(wrapped);
    return () => set.delete(wrapped);
  }

  /**
   * Listen to every notification, including methods newer than these bindings; `message` is the
   * whole notification (with the protocol's extra members, e.g. a timestamp).
   */
  onAny(listener: (params: unknown, method: string, message: NotificationMessage) => void): () => void {
    this.anyListeners.add(listener);
    return () => this.anyListeners.delete(listener);
  }

  /**
   * Answer a server->client request. The handler's return value is the result; an RpcError it
   * throws is sent as that error; any other exception as an internal error (-32603). Requests with
   * no handler get MethodNotFound (-32601).
   */
  handle<M extends ServerRequestMethod<S>>(method: M, handler: ServerRequestHandler<S, M>): () => void {
    this.handlers.set(method, handler as (params: unknown, context: ServerRequestContext) => unknown);
    return () => {
      if (this.handlers.get(method) === handler) this.handlers.delete(method);
    };
  }

  /** Called once when the connection ends for any reason other than `close()`. */
  onClose(listener: (error: Error) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  get closed(): boolean {
    return this.closedBy !== undefined;
  }

  /** Close the connection. Pending requests reject with ConnectionClosedError. */
  async close(): Promise<void> {
    if (this.closedBy) return;
    this.shutDown(new ConnectionClosedError("client closed"), false);
    await this.transport.close();
  }

  // --- sending -------------------------------------------------------------------------------

  private send(method: string, params: unknown, options: RequestOptions): Promise<unknown> {
    if (this.connected && !this.closedBy) return this.sendNow(method, params, options);
    return this.ensureOpen(method).then(() => this.sendNow(method, params, options));
  }

  private sendNow(method: string, params: unknown, options: RequestOptions): Promise<unknown> {
    const id = this.nextId++;
    const result = new Promise<unknown>((resolve, reject) => this.track(id, method, options, resolve, reject));
    const message: RequestMessage = this.frame({ id, method, params });
    this.transport.send(message).catch((error: unknown) => this.settle(id, (p) => p.reject(this.closedBy ? this.closedError(method) : sendError(method, error))));
    return result;
  }

  // The protocol's framing decides whether messages carry `"jsonrpc": "2.0"`.
  private frame<M extends Message>(message: Omit<M, "jsonrpc">): M {
    return (this.protocol.framing.jsonrpcMember ? { jsonrpc: "2.0", ...message } : message) as M;
  }

  // Checked before and after connecting: `close()` may run while the transport starts.
  // Once connected this is synchronous, so a request is pending as soon as `request()` returns.
  private async ensureOpen(method: string): Promise<void> {
    if (this.closedBy) throw this.closedError(method);
    if (this.connected) return;
    await this.start();
    this.connected = true;
    if (this.closedBy) throw this.closedError(method);
  }

  private track(id: RequestId, method: string, options: RequestOptions, resolve: (r: unknown) => void, reject: (e: Error) => void): void {
    const { signal } = options;
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    if (signal?.aborted) {
      reject(new RequestAbortedError(method, signal.reason));
      return;
    }
    const timer = timeoutMs > 0 ? setTimeout(() => this.settle(id, (p) => p.reject(new RequestTimeoutError(method, timeoutMs))), timeoutMs) : undefined;
    const onAbort = (): void => this.settle(id, (p) => p.reject(new RequestAbortedError(method, signal?.reason)));
    signal?.addEventListener("abort", onAbort, { once: true });
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    this.pending.set(id, { method, resolve, reject, cleanup });
  }

  private settle(id: RequestId, action: (pending: Pending) => void): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    pending.cleanup();
    action(pending);
  }

  private async sendNotification(method: string, params: unknown): Promise<void> {
    await this.ensureOpen(method);
    await this.transport.send(this.frame<NotificationMessage>({ method, params }));
  }

  private makeCallProxy(): CallProxy<S> {
    const target: Record<string, (params: unknown, options?: RequestOptions) => Promise<unknown>> = {};
    for (const { name, direction, kind } of this.protocol.methods) {
      if (direction === "clientToServer" && kind === "request") target[camel(name)] = (params, options) => this.send(name, params, options ?? {});
    }
    return target as unknown as CallProxy<S>;
  }

  private chosenVersion(result: unknown): number {
    const pointer = this.protocol.handshake?.versionChosen ?? null;
    if (pointer === null) return this.protocol.version;
    // A server from before negotiation existed answers without a version: the oldest one.
    const chosen = getAt(result, pointer) ?? Math.min(...this.protocol.versions);
    if (typeof chosen !== "number" || !this.offeredVersions.includes(chosen)) {
      throw new ProtocolError(`server chose protocol version ${JSON.stringify(chosen)}, which was not offered (${this.offeredVersions.join(", ")})`);
    }
    return chosen;
  }

  // --- receiving -----------------------------------------------------------------------------

  private receive(value: unknown): void | Promise<void> {
    const classified = classify(value, this.protocol.framing.jsonrpcMember);
    switch (classified.kind) {
      case "success":
        this.settle(classified.message.id, (p) => p.resolve(classified.message.result));
        return;
      case "failure":
        this.onFailure(classified.message);
        return;
      case "notification":
        this.onNotification(classified.message);
        return;
      case "request":
        void this.onServerRequest(classified.message);
        return this.handlerSlot();
      case "invalid":
        this.reportError(new ProtocolError(`ignored a message from the server: ${classified.reason}: ${truncate(JSON.stringify(value))}`));
        return;
    }
  }

  private onFailure(message: FailureMessage): void {
    const { error, id } = message;
    if (id === null || !this.pending.has(id)) {
      // An error for no request of ours, e.g. a parse error: nothing to reject, but worth showing.
      this.reportError(new RpcError(error.code, error.message, error.data, undefined, this.protocol.errors));
      return;
    }
    this.settle(id, (p) => p.reject(new RpcError(error.code, error.message, error.data, p.method, this.protocol.errors)));
  }

  private onNotification(message: NotificationMessage): void {
    for (const listener of [...(this.listeners.get(message.method) ?? []), ...this.anyListeners]) {
      try {
        listener(message.params, message.method, message);
      } catch (error) {
        this.reportError(asError(error));
      }
    }
  }

  /**
   * A message too large to read: fail the call it answered (its id is in its first bytes); refuse
   * a server request; a notification is lost and reported. When it cannot be told which it was,
   * the connection ends, so that no call waits forever for it.
   */
  private onOversized(head: string, size: number, limit: number): void {
    const { id, hasMethod } = peekEnvelope(head);
    if (!hasMethod && id !== undefined && this.pending.has(id)) {
      this.settle(id, (p) => p.reject(new MessageTooLargeError(size, limit, p.method)));
    } else if (hasMethod && id !== undefined) {
      const reply = this.frame<FailureMessage>({ id, error: { code: -32600, message: `the request is larger than ${limit} bytes (maxMessageBytes)` } });
      this.transport.send(reply).catch((error: unknown) => this.reportError(asError(error)));
    } else if (hasMethod) {
      this.reportError(new MessageTooLargeError(size, limit));
    } else {
      this.shutDown(new MessageTooLargeError(size, limit));
    }
  }

  // Backpressure: while `maxConcurrentHandlers` server requests are being handled, the transport
  // waits for this promise before reading further.
  private handlerSlot(): Promise<void> | undefined {
    if (this.handlersRunning < this.maxHandlers || this.closedBy) return undefined;
    return new Promise((resolve) => (this.handlerSlotFreed = resolve));
  }

  private releaseHandlerSlot(): void {
    this.handlersRunning -= 1;
    const waiting = this.handlerSlotFreed;
    this.handlerSlotFreed = undefined;
    waiting?.();
  }

  private async onServerRequest(message: RequestMessage): Promise<void> {
    this.handlersRunning += 1;
    try {
      const reply = await this.answer(message);
      if (this.closedBy) return;
      await this.transport.send(reply).catch((error: unknown) => {
        this.reportError(asError(error));
        // The server still gets an answer, so its request does not wait forever.
        if (error instanceof MessageTooLargeError) return this.transport.send(this.frame<FailureMessage>({ id: message.id, error: { code: -32603, message: error.message } }));
        return undefined;
      }).catch((error: unknown) => this.reportError(asError(error)));
    } finally {
      this.releaseHandlerSlot();
    }
  }

  private async answer(message: RequestMessage): Promise<Message> {
    const handler = this.handlers.get(message.method);
    if (!handler) return this.frame<FailureMessage>({ id: message.id, error: { code: -32601, message: `the client has no handler for ${message.method}` } });
    try {
      const context: ServerRequestContext = { id: message.id, method: message.method, signal: this.handlerAbort.signal };
      return this.frame<SuccessMessage>({ id: message.id, result: await handler(message.params, context) });
    } catch (error) {
      const payload = error instanceof RpcError ? errorPayload(error) : { code: -32603, message: `client handler failed: ${asError(error).message}` };
      return this.frame<FailureMessage>({ id: message.id, error: payload });
    }
  }

  // --- closing -------------------------------------------------------------------------------

  private shutDown(cause: Error, notify = true): void {
    if (this.closedBy) return;
    this.closedBy = cause;
    this.handlerAbort.abort(cause);
    this.handlerSlotFreed?.();
    for (const [id, pending] of [...this.pending]) {
      this.settle(id, () => pending.reject(this.closedError(pending.method)));
    }
    if (notify) for (const listener of this.closeListeners) listener(cause);
  }

  private closedError(method: string): ConnectionClosedError {
    const cause = this.closedBy;
    if (cause instanceof SessionLostError) return cause.forCall(method);
    const why = cause ? cause.message : "connection closed";
    return new ConnectionClosedError(`${method}: no response, the connection is closed (${why})`, { cause });
  }
}

function errorPayload(error: RpcError): ErrorPayload {
  const payload: ErrorPayload = { code: error.code, message: error.rpcMessage };
  if (error.data !== undefined) payload.data = error.data;
  return payload;
}

function camel(method: string): string {
  return method.replace(/\/(.)/g, (_, c: string) => c.toUpperCase());
}

function sendError(method: string, error: unknown): Error {
  if (error instanceof MessageTooLargeError) return error;
  if (error instanceof SessionLostError) return error.forCall(method);
  const cause = asError(error);
  const status = cause instanceof TransportError ? cause.status : undefined;
  return new TransportError(`${method}: the request could not be sent: ${cause.message}`, status, { cause });
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

function truncate(text: string | undefined): string {
  return text === undefined ? "undefined" : text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
