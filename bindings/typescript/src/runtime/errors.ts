// Errors the client raises. Every failure a caller can see is one of these classes, so callers can
// branch with `instanceof` and never need to parse a message.
import { ERRORS, type ErrorDataByName, type ErrorName } from "../generated/v2.js";

/** A JSON-RPC error response from the peer: `code` identifies it, `data` is typed per code. */
export class RpcError<D = unknown> extends Error {
  override readonly name = "RpcError";

  constructor(
    readonly code: number,
    /** The peer's message, as sent (`message` adds the method and code). */
    readonly rpcMessage: string,
    readonly data: D | undefined = undefined,
    /** The method of the request that failed, when known. */
    readonly method: string | undefined = undefined,
  ) {
    super(method === undefined ? `${rpcMessage} (code ${code})` : `${method}: ${rpcMessage} (code ${code})`);
  }

  /** Whether this is the named error of the error table; narrows `data` to its typed shape. */
  is<N extends ErrorName>(name: N): this is RpcError<ErrorDataByName[N]> {
    return this.code === ERRORS[name];
  }
}

/** The connection ended (the server exited, the stream broke for good, or `close()` was called). */
export class ConnectionClosedError extends Error {
  override readonly name = "ConnectionClosedError";
}

/** A request got no response within its timeout. The late response, if any, is ignored. */
export class RequestTimeoutError extends Error {
  override readonly name = "RequestTimeoutError";

  constructor(
    readonly method: string,
    readonly timeoutMs: number,
  ) {
    super(`${method}: no response within ${timeoutMs} ms`);
  }
}

/** The caller's AbortSignal fired before the response came. */
export class RequestAbortedError extends Error {
  override readonly name = "RequestAbortedError";

  constructor(
    readonly method: string,
    readonly reason: unknown,
  ) {
    super(`${method}: aborted${reason instanceof Error ? ` (${reason.message})` : ""}`);
  }
}

/** The transport itself failed: an HTTP status other than the contract's, a line too long, bad JSON. */
export class TransportError extends Error {
  override readonly name = "TransportError";

  constructor(
    message: string,
    /** The HTTP status, for the HTTP transport. */
    readonly status: number | undefined = undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The server broke the protocol (for example `initialize` answered with a version never offered). */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
}
