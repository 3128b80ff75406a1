// JSON Lines framing: one JSON text per line. Chunks may end anywhere, including inside a line or
// inside a multi-byte UTF-8 character; the streaming TextDecoder keeps the partial character.
import { TRANSPORTS } from "../generated/v2.js";
import { TransportError } from "./errors.js";

export const DEFAULT_MAX_LINE_BYTES: number = TRANSPORTS.stdio.maxMessageBytes;

export class JsonlDecoder {
  private readonly decoder = new TextDecoder("utf-8");
  private buffer = "";
  // Where to resume looking for "\n": a long line arriving in many chunks is scanned once.
  private scanned = 0;

  constructor(private readonly maxLineBytes: number = DEFAULT_MAX_LINE_BYTES) {}

  /** Feed bytes; returns the complete lines they finish (without line ends; blank lines dropped). */
  push(chunk: Uint8Array): string[] {
    this.buffer += this.decoder.decode(chunk, { stream: true });
    const lines: string[] = [];
    let start = 0;
    let newline = this.buffer.indexOf("\n", this.scanned);
    while (newline !== -1) {
      this.keep(lines, this.buffer.slice(start, newline));
      start = newline + 1;
      newline = this.buffer.indexOf("\n", start);
    }
    this.buffer = this.buffer.slice(start);
    this.scanned = this.buffer.length;
    // Characters, not bytes: a cheap bound that is never smaller than the byte count's limit allows.
    if (this.buffer.length > this.maxLineBytes) {
      throw new TransportError(`a line exceeds ${this.maxLineBytes} bytes without a newline`);
    }
    return lines;
  }

  /** The stream ended: a last line without a newline still counts. */
  end(): string[] {
    const lines: string[] = [];
    this.keep(lines, this.buffer + this.decoder.decode());
    this.buffer = "";
    this.scanned = 0;
    return lines;
  }

  private keep(lines: string[], line: string): void {
    const text = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (text.trim() !== "") lines.push(text);
  }
}

export function encodeLine(message: unknown): string {
  return JSON.stringify(message) + "\n";
}
