// Errors the client raises. Every failure a caller can see is one of these classes, so callers can
// branch with `instanceof` and never need to parse a message.

/**
 * A JSON-RPC error response from the peer: `code` identifies it, `data` is typed per code.
 * `Errors` maps the protocol's error names to the types of their `data` (the generated
 * `ErrorDataByName`); `error instanceof RpcError` gives an `RpcError<any>` whose `is()` takes any name.
 */
export class RpcError<Errors extends Record<string, unknown> = Record<string, unknown>, D = unknown> extends Error {
  override readonly name = "RpcError";

  constructor(
    readonly code: number,
    /** The peer's message, as sent (`message` adds the method and code). */
    readonly rpcMessage: string,
    readonly data: D | undefined = undefined,
    /** The method of the request that failed, when known. */
    readonly method: string | undefined = undefined,
    /** The protocol's error table (name -> code), which `is()` consults. */
    readonly table: Readonly<Record<string, number>> = {},
  ) {
    super(method === undefined ? `${rpcMessage} (code ${code})` : `${method}: ${rpcMessage} (code ${code})`);
  }

  /** Whether this is the named error of the protocol's error table; narrows `data` to its type. */
  is<N extends keyof Errors & string>(name: N): this is RpcError<Errors, Errors[N]> {
    return this.table[name] === this.code;
  }
}

/**
 * A message larger than the protocol's `maxMessageBytes`: one the peer sent (discarded unread), or
 * one this client was about to send (not sent: the peer may refuse it).
 */
export class MessageTooLargeError extends Error {
  override readonly name = "MessageTooLargeError";

  constructor(
    /** Its size in bytes (for a discarded one, the bytes seen: at least the limit + 1). */
    readonly size: number,
    readonly limit: number,
    /** The method of the request it belonged to, when known. */
    readonly method: string | undefined = undefined,
    /** Who wrote it. */
    readonly writer: "the peer" | "the client" = "the peer",
  ) {
    const what = writer === "the peer" ? "it was discarded" : "it was not sent";
    super(`${method === undefined ? "" : `${method}: `}${writer} wrote a message of ${size > limit + 1 ? size : `more than ${limit}`} bytes, above the protocol's maxMessageBytes (${limit}); ${what}`);
  }
}

/** The connection ended (the server exited, the stream broke for good, or `close()` was called). */
export class ConnectionClosedError extends Error {
  override readonly name: string = "ConnectionClosedError";
}

/**
 * The server ended the HTTP session because its events could no longer all be delivered: the reader
 * fell behind (`event: lost`), a reconnect asked for events no longer kept (410), the session is
 * unknown to the server (404), or the stream skipped event ids. Whatever was in flight is lost.
 * Recovery belongs to the application: open a new session (`HttpSseTransport.renew()`) and re-sync
 * its state the way the protocol says (`recover`, e.g. resume each thread).
 */
export class SessionLostError extends ConnectionClosedError {
  override readonly name = "SessionLostError";

  constructor(
    /** The server's explanation (its `error` member), or the client's when the server gave none. */
    readonly serverMessage: string,
    /** The server's recovery hint (its `recover` member), when it sent one. */
    readonly recover: string | undefined = undefined,
    /** The HTTP status that told it (410, 404), or undefined for `event: lost` and skipped ids. */
    readonly status: number | undefined = undefined,
    /** The id of the last event delivered before the loss. */
    readonly lastEventId: string | undefined = undefined,
    /** The method of the call this error fails, when it fails one. */
    readonly method: string | undefined = undefined,
  ) {
    const told = status === undefined ? "" : ` (HTTP ${status})`;
    const hint = recover === undefined ? "" : `; to recover: ${recover}`;
    super(`${method === undefined ? "" : `${method}: no response, `}the HTTP session was lost${told}: ${serverMessage}${hint}`);
  }

  /** The same loss, failing the call of `method`. */
  forCall(method: string): SessionLostError {
    const error = new SessionLostError(this.serverMessage, this.recover, this.status, this.lastEventId, method);
    error.cause = this;
    return error;
  }
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
    /** The server's explanation of an HTTP error answer (its JSON `error` member or its text). */
    readonly serverMessage: string | undefined = undefined,
  ) {
    super(message, options);
  }
}

/** The server broke the protocol (for example `initialize` answered with a version never offered). */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
}
