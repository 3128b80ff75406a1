// @threadloom/runtime: the protocol-agnostic JSON-RPC runtime that generated TypeScript bindings
// import. Everything here works in browsers and Node; the stdio transport (Node only) is the
// separate entry `@threadloom/runtime/stdio`.
export { Client } from "./client.js";
export type { CallProxy, CamelMethod, ClientOptions, ConnectOptions, HandshakeOutcome, RequestOptions, ServerRequestContext, ServerRequestHandler } from "./client.js";
export { ConnectionClosedError, MessageTooLargeError, ProtocolError, RequestAbortedError, RequestTimeoutError, RpcError, SessionLostError, TransportError } from "./errors.js";
export { HttpSseTransport } from "./http.js";
export type { HttpSseOptions } from "./http.js";
export { encodeLine, JsonlDecoder } from "./jsonl.js";
export type { Line } from "./jsonl.js";
export { classify, peekEnvelope } from "./jsonrpc.js";
export type { Classified, ErrorPayload, FailureMessage, Message, NotificationMessage, RequestId, RequestMessage, SuccessMessage } from "./jsonrpc.js";
export { DEFAULT_MAX_MESSAGE_BYTES } from "./protocol.js";
export type {
  AnySpec,
  ClientNotificationMethod,
  FramingInfo,
  HandshakeInfo,
  HandshakeParams,
  HandshakeResult,
  HttpTransportInfo,
  MethodInfo,
  NotificationMethod,
  ParamsOf,
  ProtocolInfo,
  RequestMethod,
  ResultOf,
  ServerRequestMethod,
  StdioTransportInfo,
  TransportsInfo,
} from "./protocol.js";
export { SseParser } from "./sse.js";
export type { SseEvent } from "./sse.js";
export type { Transport, TransportEvents } from "./transport.js";
