// A streaming Server-Sent Events parser (the WHATWG event-stream format), fed with raw bytes so it
// works on a fetch() body in Node and in browsers. EventSource is not used because it cannot send
// an Authorization header.

export interface SseEvent {
  /** The `event:` field; "message" when absent. */
  type: string;
  data: string;
  /** The last event id seen so far on this stream (the `id:` field of this or an earlier event). */
  lastEventId: string;
  /** Set when the event's data exceeded the parser's limit: its size; `data` then holds its head. */
  oversized?: number;
}

/** How much of an oversized event's data is kept to identify it. */
const OVERSIZED_HEAD = 4096;

export class SseParser {
  private readonly decoder = new TextDecoder("utf-8");
  private buffer = "";
  private started = false;
  private type = "";
  private data: string[] = [];
  private dataSize = 0;
  // Skipping the rest of an oversized event: its head and size so far.
  private skipping: { head: string; size: number } | undefined = undefined;
  // The buffer was dropped in the middle of a line: the next line end only finishes that line.
  private inLineTail = false;
  /** The reconnection delay the server asked for with `retry:`, if any. */
  retryMs: number | undefined = undefined;

  /**
   * `maxEventSize`: the largest event data kept (in UTF-16 code units, never more than its UTF-8
   * bytes); beyond it the event is skipped and reported with `oversized`, and nothing grows unbounded.
   */
  constructor(
    public lastEventId: string = "",
    private readonly maxEventSize: number = Number.POSITIVE_INFINITY,
  ) {}

  push(chunk: Uint8Array): SseEvent[] {
    let text = this.decoder.decode(chunk, { stream: true });
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.startsWith("\uFEFF")) text = text.slice(1);
    }
    this.buffer += text;
    const events = this.drain(false);
    // A line still without its end: once it alone passes the limit, stop keeping it.
    if (this.buffer.length + this.dataSize > this.maxEventSize) this.startSkipping(this.buffer);
    return events;
  }

  /** The stream ended: an event without its terminating blank line is dropped, as the spec says. */
  end(): void {
    this.buffer = "";
    this.type = "";
    this.data = [];
    this.dataSize = 0;
    this.skipping = undefined;
    this.inLineTail = false;
  }

  private startSkipping(pending: string): void {
    const value = pending.slice(pending.indexOf(":") + 1);
    const head = this.data.join("\n") + (value.startsWith(" ") ? value.slice(1) : value);
    const size = (this.skipping?.size ?? this.dataSize) + pending.length;
    this.skipping = { head: this.skipping?.head ?? head.slice(0, OVERSIZED_HEAD), size };
    this.data = [];
    this.dataSize = 0;
    // Dropping the unfinished line of the buffer (never what `drain` is still reading).
    if (pending !== "") {
      this.buffer = "";
      this.inLineTail = true;
    }
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
    if (this.inLineTail && this.skipping) {
      this.inLineTail = false;
      this.skipping.size += line.length;
      return undefined;
    }
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return undefined;
    if (this.skipping) {
      this.skipping.size += line.length + 1;
      return undefined;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") {
      this.data.push(value);
      this.dataSize += value.length + 1;
      if (this.dataSize > this.maxEventSize) this.startSkipping("");
    }
    else if (field === "event") this.type = value;
    else if (field === "id" && !value.includes("\0")) this.lastEventId = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const type = this.type || "message";
    if (this.skipping) {
      const { head, size } = this.skipping;
      this.skipping = undefined;
      this.type = "";
      return { type, data: head, lastEventId: this.lastEventId, oversized: size };
    }
    const data = this.data.join("\n");
    const hadData = this.data.length > 0;
    this.type = "";
    this.data = [];
    this.dataSize = 0;
    return hadData ? { type, data, lastEventId: this.lastEventId } : undefined;
  }
}
