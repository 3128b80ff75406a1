// The package entry: everything that works in browsers and Node. The stdio transport (Node only)
// is the separate entry `@threadloom/client/stdio`.
export * as v1 from "./generated/v1.js";
export * as v2 from "./generated/v2.js";
export { AppServerClient } from "./runtime/client.js";
export type {
  AnySpec,
  CallProxy,
  ClientOptions,
  InitializeOptions,
  InitializeOutcome,
  RequestOptions,
  ServerRequestContext,
  ServerRequestHandler,
} from "./runtime/client.js";
export { ConnectionClosedError, ProtocolError, RequestAbortedError, RequestTimeoutError, RpcError, TransportError } from "./runtime/errors.js";
export { HttpSseTransport, SESSION_HEADER } from "./runtime/http.js";
export type { HttpSseOptions } from "./runtime/http.js";
export { JsonlDecoder } from "./runtime/jsonl.js";
export { SseParser } from "./runtime/sse.js";
export type { SseEvent } from "./runtime/sse.js";
export type { Transport, TransportEvents } from "./runtime/transport.js";
export type { Message, RequestId } from "./runtime/jsonrpc.js";
