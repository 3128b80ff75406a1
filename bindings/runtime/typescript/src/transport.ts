// The one interface between the client and a transport: start, send, close, and a few callbacks.
import type { Message } from "./jsonrpc.js";
import type { ProtocolInfo } from "./protocol.js";

export interface TransportEvents {
  /**
   * One parsed JSON value from the peer (not yet checked to be JSON-RPC). A returned promise means
   * "the client is saturated": the transport reads nothing more until it settles (backpressure).
   */
  message(value: unknown): void | Promise<void>;
  /** A message above the size limit arrived and was discarded; `head` is its first bytes. */
  oversized(head: string, size: number, limit: number): void;
  /** The connection ended for good; called once. */
  close(error: Error): void;
  /** Something unreadable arrived; the connection goes on. */
  protocolError(error: Error): void;
}

export interface Transport {
  /** Connect. Resolves when messages can be sent and received. `protocol` gives paths and limits. */
  start(events: TransportEvents, protocol: ProtocolInfo): Promise<void>;
  /** Send one message. Rejects when it could not be handed to the peer. */
  send(message: Message): Promise<void>;
  /** Disconnect; `events.close` is not called for a close the client asked for. */
  close(): Promise<void>;
}
