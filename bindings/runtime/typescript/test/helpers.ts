// An in-memory transport: the test plays the server, and sees every message the client sends.
import type { Message } from "../src/jsonrpc.js";
import type { Transport, TransportEvents } from "../src/transport.js";

export class MemoryTransport implements Transport {
  readonly sent: Message[] = [];
  events: TransportEvents | undefined = undefined;
  /** Called for each message the client sends: the test's "server". */
  onSend: (message: Message) => void = () => undefined;
  /** How often delivery had to wait for the client (backpressure). */
  waits = 0;

  async start(events: TransportEvents): Promise<void> {
    this.events = events;
  }

  async send(message: Message): Promise<void> {
    this.sent.push(message);
    this.onSend(message);
  }

  async close(): Promise<void> {}

  /** Deliver messages from the "server" the way a transport must: waiting while the client is saturated. */
  async deliver(...values: unknown[]): Promise<void> {
    for (const value of values) {
      const saturated = this.required().message(value);
      if (saturated) {
        this.waits += 1;
        await saturated;
      }
    }
  }

  required(): TransportEvents {
    if (this.events === undefined) throw new Error("transport not started");
    return this.events;
  }
}
