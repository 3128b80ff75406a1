// AppServerClient: typed requests, notifications and server->client request handlers over any
// Transport. Generic over a protocol version's `Spec` (default: the newest, v2).
import type * as v2 from "../generated/v2.js";
import { METHODS } from "../generated/v2.js";
import { ConnectionClosedError, ProtocolError, RequestAbortedError, RequestTimeoutError, RpcError, TransportError } from "./errors.js";
import { classify, type ErrorPayload, type FailureMessage, type Message, type NotificationMessage, type RequestId, type RequestMessage, type SuccessMessage } from "./jsonrpc.js";
import type { Transport } from "./transport.js";

/** The shape every generated `Spec` (v1.Spec, v2.Spec) has. */
export interface AnySpec {
  version: number;
  clientRequests: Record<string, { params: unknown; result: unknown }>;
  clientNotifications: Record<string, { params: unknown }>;
  serverRequests: Record<string, { params: unknown; result: unknown }>;
  serverNotifications: Record<string, { params: unknown }>;
}

export type RequestMethod<S extends AnySpec> = keyof S["clientRequests"] & string;
export type ParamsOf<S extends AnySpec, M extends RequestMethod<S>> = S["clientRequests"][M]["params"];
export type ResultOf<S extends AnySpec, M extends RequestMethod<S>> = S["clientRequests"][M]["result"];
export type NotificationMethod<S extends AnySpec> = keyof S["serverNotifications"] & string;
export type ServerRequestMethod<S extends AnySpec> = keyof S["serverRequests"] & string;

/** `thread/name/set` -> `threadNameSet`: the names of the typed call proxy. */
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
  /** Protocol versions offered in `initialize`, most preferred first. Default [2, 1]. */
  protocolVersions?: readonly number[];
  /** Method names for the `call` proxy; default the v2 method table. */
  methods?: readonly { readonly name: string }[];
  /** Unreadable input, and exceptions thrown by notification listeners. Default: console.error. */
  onError?: (error: Error) => void;
}

export interface InitializeOptions extends RequestOptions {
  clientInfo: v2.ClientInfo;
  capabilities?: v2.ClientCapabilities;
}

export interface InitializeOutcome {
  serverInfo: v2.ServerInfo;
  /** The version both sides speak on this connection (1 when a v1 server did not say). */
  protocolVersion: number;
}

interface Pending {
  method: string;
  resolve(result: unknown): void;
  reject(error: Error): void;
  cleanup(): void;
}

type NotificationListener = (params: unknown, method: string) => void;

export class AppServerClient<S extends AnySpec = v2.Spec> {
  /** The negotiated protocol version, once `initialize` succeeded. */
  protocolVersion: number | undefined = undefined;
  /** Typed one-method-per-request proxy: `client.call.threadStart({})`. */
  readonly call: CallProxy<S>;

  private readonly transport: Transport;
  private readonly defaultTimeoutMs: number;
  private readonly offeredVersions: readonly number[];
  private readonly reportError: (error: Error) => void;
  private readonly pending = new Map<RequestId, Pending>();
  private readonly listeners = new Map<string, Set<NotificationListener>>();
  private readonly anyListeners = new Set<NotificationListener>();
  private readonly handlers = new Map<string, (params: unknown, context: ServerRequestContext) => unknown>();
  private readonly closeListeners = new Set<(error: Error) => void>();
  private readonly handlerAbort = new AbortController();
  private nextId = 1;
  private closedBy: Error | undefined = undefined;
  private started: Promise<void> | undefined = undefined;
  private connected = false;

  constructor(options: ClientOptions) {
    this.transport = options.transport;
    this.defaultTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.offeredVersions = options.protocolVersions ?? [2, 1];
    this.reportError = options.onError ?? ((error) => console.error(error));
    this.call = this.makeCallProxy(options.methods ?? METHODS);
  }

  /** Create a client, connect its transport, and run `initialize` + `initialized`. */
  static async connect<S extends AnySpec = v2.Spec>(options: ClientOptions & InitializeOptions): Promise<AppServerClient<S>> {
    const client = new AppServerClient<S>(options);
    try {
      await client.initialize(options);
    } catch (error) {
      await client.close();
      throw error;
    }
    return client;
  }

  /** Connect the transport (done by the first request if not called). */
  start(): Promise<void> {
    this.started ??= this.transport.start({
      message: (value) => this.receive(value),
      close: (error) => this.shutDown(error),
      protocolError: (error) => this.reportError(error),
    });
    return this.started;
  }

  /** Handshake: offer protocol versions, check the answer, then send `initialized`. */
  async initialize(options: InitializeOptions): Promise<InitializeOutcome> {
    const params: v2.InitializeParams = { clientInfo: options.clientInfo, protocolVersions: [...this.offeredVersions] };
    if (options.capabilities !== undefined) params.capabilities = options.capabilities;
    const answer = await this.send("initialize", params, options);
    if (typeof answer !== "object" || answer === null) throw new ProtocolError("initialize result is not an object");
    const result = answer as Partial<v2.InitializeResult>;
    // A v1 server does not know about negotiation and answers without `protocolVersion`.
    const version = result.protocolVersion ?? 1;
    if (!this.offeredVersions.includes(version)) {
      throw new ProtocolError(`server chose protocol version ${version}, which was not offered (${this.offeredVersions.join(", ")})`);
    }
    if (result.serverInfo === undefined) throw new ProtocolError("initialize result has no serverInfo");
    this.protocolVersion = version;
    await this.sendNotification("initialized", {});
    return { serverInfo: result.serverInfo, protocolVersion: version };
  }

  /** Send a request and wait for its result; a JSON-RPC error rejects with RpcError. */
  request<M extends RequestMethod<S>>(method: M, params: ParamsOf<S, M>, options: RequestOptions = {}): Promise<ResultOf<S, M>> {
    return this.send(method, params, options) as Promise<ResultOf<S, M>>;
  }

  /** Send a client notification. */
  notify<M extends keyof S["clientNotifications"] & string>(method: M, params: S["clientNotifications"][M]["params"]): Promise<void> {
    return this.sendNotification(method, params);
  }

  /** Listen to one server notification; returns the unsubscribe function. */
  on<M extends NotificationMethod<S>>(method: M, listener: (params: S["serverNotifications"][M]["params"]) => void): () => void {
    const set = this.listeners.get(method) ?? new Set<NotificationListener>();
    this.listeners.set(method, set);
    const wrapped: NotificationListener = (params) => listener(params as S["serverNotifications"][M]["params"]);
    set.add(wrapped);
    return () => set.delete(wrapped);
  }

  /** Listen to every notification, including methods newer than these bindings. */
  onAny(listener: (params: unknown, method: string) => void): () => void {
    this.anyListeners.add(listener);
    return () => this.anyListeners.delete(listener);
  }

  /**
   * Answer a server->client request (approvals). The handler's return value is the result; an
   * RpcError it throws is sent as that error; any other exception as an internal error (-32603).
   * Requests with no handler get MethodNotFound (-32601).
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
    const message: RequestMessage = { jsonrpc: "2.0", id, method, params };
    this.transport.send(message).catch((error: unknown) => this.settle(id, (p) => p.reject(this.closedBy ? this.closedError(method) : sendError(method, error))));
    return result;
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
    const message: NotificationMessage = { jsonrpc: "2.0", method, params };
    await this.transport.send(message);
  }

  private makeCallProxy(methods: readonly { readonly name: string }[]): CallProxy<S> {
    const byCamel = new Map(methods.map((m) => [camel(m.name), m.name]));
    const target: Record<string, (params: unknown, options?: RequestOptions) => Promise<unknown>> = {};
    for (const [camelName, name] of byCamel) target[camelName] = (params, options) => this.send(name, params, options ?? {});
    return target as unknown as CallProxy<S>;
  }

  // --- receiving -----------------------------------------------------------------------------

  private receive(value: unknown): void {
    const classified = classify(value);
    switch (classified.kind) {
      case "success":
        this.onSuccess(classified.message);
        return;
      case "failure":
        this.onFailure(classified.message);
        return;
      case "notification":
        this.onNotification(classified.message);
        return;
      case "request":
        void this.onServerRequest(classified.message);
        return;
      case "invalid":
        this.reportError(new ProtocolError(`ignored a message from the server: ${classified.reason}: ${truncate(JSON.stringify(value))}`));
        return;
    }
  }

  private onSuccess(message: SuccessMessage): void {
    this.settle(message.id, (p) => p.resolve(message.result));
  }

  private onFailure(message: FailureMessage): void {
    const { error, id } = message;
    if (id === null || !this.pending.has(id)) {
      // An error for no request of ours, e.g. a parse error: nothing to reject, but worth showing.
      this.reportError(new RpcError(error.code, error.message, error.data));
      return;
    }
    this.settle(id, (p) => p.reject(new RpcError(error.code, error.message, error.data, p.method)));
  }

  private onNotification(message: NotificationMessage): void {
    for (const listener of [...(this.listeners.get(message.method) ?? []), ...this.anyListeners]) {
      try {
        listener(message.params, message.method);
      } catch (error) {
        this.reportError(asError(error));
      }
    }
  }

  private async onServerRequest(message: RequestMessage): Promise<void> {
    const handler = this.handlers.get(message.method);
    let reply: SuccessMessage | FailureMessage;
    if (!handler) {
      reply = failure(message.id, { code: -32601, message: `the client has no handler for ${message.method}` });
    } else {
      try {
        const context: ServerRequestContext = { id: message.id, method: message.method, signal: this.handlerAbort.signal };
        reply = { jsonrpc: "2.0", id: message.id, result: await handler(message.params, context) };
      } catch (error) {
        reply = failure(message.id, error instanceof RpcError ? errorPayload(error) : { code: -32603, message: `client handler failed: ${asError(error).message}` });
      }
    }
    if (this.closedBy) return;
    await this.transport.send(reply).catch((error: unknown) => this.reportError(asError(error)));
  }

  // --- closing -------------------------------------------------------------------------------

  private shutDown(cause: Error, notify = true): void {
    if (this.closedBy) return;
    this.closedBy = cause;
    this.handlerAbort.abort(cause);
    for (const [id, pending] of [...this.pending]) {
      this.settle(id, () => pending.reject(this.closedError(pending.method)));
    }
    if (notify) for (const listener of this.closeListeners) listener(cause);
  }

  private closedError(method: string): ConnectionClosedError {
    const cause = this.closedBy;
    const why = cause ? cause.message : "connection closed";
    return new ConnectionClosedError(`${method}: no response, the connection is closed (${why})`, { cause });
  }
}

function failure(id: RequestId, error: ErrorPayload): FailureMessage {
  return { jsonrpc: "2.0", id, error };
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

export type { Message };
