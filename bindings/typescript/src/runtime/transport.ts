// The one interface between the client and a transport: start, send, close, and two callbacks.
import type { Message } from "./jsonrpc.js";

export interface TransportEvents {
  /** One parsed JSON value from the peer (not yet checked to be JSON-RPC). */
  message(value: unknown): void;
  /** The connection ended for good; called once. */
  close(error: Error): void;
  /** Something unreadable arrived; the connection goes on. */
  protocolError(error: Error): void;
}

export interface Transport {
  /** Connect. Resolves when messages can be sent and received. */
  start(events: TransportEvents): Promise<void>;
  /** Send one message. Rejects when it could not be handed to the peer. */
  send(message: Message): Promise<void>;
  /** Disconnect; `events.close` is not called for a close the client asked for. */
  close(): Promise<void>;
}
