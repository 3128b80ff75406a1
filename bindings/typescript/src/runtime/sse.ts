// A streaming Server-Sent Events parser (the WHATWG event-stream format), fed with raw bytes so it
// works on a fetch() body in Node and in browsers. EventSource is not used because it cannot send
// an Authorization header.

export interface SseEvent {
  /** The `event:` field; "message" when absent. */
  type: string;
  data: string;
  /** The last event id seen so far on this stream (the `id:` field of this or an earlier event). */
  lastEventId: string;
}

export class SseParser {
  private readonly decoder = new TextDecoder("utf-8");
  private buffer = "";
  private started = false;
  private type = "";
  private data: string[] = [];
  /** The reconnection delay the server asked for with `retry:`, if any. */
  retryMs: number | undefined = undefined;

  constructor(public lastEventId: string = "") {}

  push(chunk: Uint8Array): SseEvent[] {
    let text = this.decoder.decode(chunk, { stream: true });
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.startsWith("\uFEFF")) text = text.slice(1);
    }
    this.buffer += text;
    return this.drain(false);
  }

  /** The stream ended: an event without its terminating blank line is dropped, as the spec says. */
  end(): void {
    this.buffer = "";
    this.type = "";
    this.data = [];
  }

  private drain(final: boolean): SseEvent[] {
    const events: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const end = this.findLineEnd(start, final);
      if (end === -1) break;
      const line = this.buffer.slice(start, end);
      start = end + (this.buffer[end] === "\r" && this.buffer[end + 1] === "\n" ? 2 : 1);
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  // A line ends at CRLF, LF or CR. A CR at the very end of the buffer may be the first half of a
  // CRLF split across chunks, so wait for the next chunk before deciding.
  private findLineEnd(from: number, final: boolean): number {
    for (let i = from; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c === "\n") return i;
      if (c === "\r") return i + 1 < this.buffer.length || final ? i : -1;
    }
    return -1;
  }

  private line(line: string): SseEvent | undefined {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.type = value;
    else if (field === "id" && !value.includes("\0")) this.lastEventId = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const type = this.type || "message";
    const data = this.data.join("\n");
    const hadData = this.data.length > 0;
    this.type = "";
    this.data = [];
    return hadData ? { type, data, lastEventId: this.lastEventId } : undefined;
  }
}
