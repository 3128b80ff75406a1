// JSON Lines framing: one JSON text per line. Lines are cut on the newline byte (it never occurs
// inside a multi-byte UTF-8 character), so chunks may end anywhere and limits count real bytes.
//
// A line longer than the limit is never buffered whole: the decoder keeps its first bytes (enough to
// tell whose response it was), skips the rest up to the next newline, and reports it as oversized.

import { DEFAULT_MAX_MESSAGE_BYTES } from "./protocol.js";

/** How much of an oversized line is kept to identify it (its `id` comes early in practice). */
export const OVERSIZED_HEAD_BYTES = 4096;

export type Line = { kind: "line"; text: string } | { kind: "oversized"; head: string; size: number };

export class JsonlDecoder {
  private readonly decoder = new TextDecoder("utf-8");
  private parts: Uint8Array[] = [];
  private size = 0;
  // Skipping the rest of an oversized line: its head and how many bytes it had so far.
  private skipping: { head: string; size: number } | undefined = undefined;

  constructor(readonly maxLineBytes: number = DEFAULT_MAX_MESSAGE_BYTES) {}

  /** Feed bytes; returns the records of the lines they finish (blank lines dropped). */
  push(chunk: Uint8Array): Line[] {
    const lines: Line[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(10); newline !== -1; newline = chunk.indexOf(10, start)) {
      this.take(chunk.subarray(start, newline));
      this.finishLine(lines);
      start = newline + 1;
    }
    this.take(chunk.subarray(start));
    return lines;
  }

  /** The stream ended: a last line without a newline still counts. */
  end(): Line[] {
    const lines: Line[] = [];
    this.finishLine(lines);
    return lines;
  }

  private take(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.skipping) {
      this.skipping.size += bytes.length;
      return;
    }
    this.parts.push(bytes);
    this.size += bytes.length;
    if (this.size > this.maxLineBytes) {
      const head = this.decoder.decode(concat(this.parts, this.size).subarray(0, OVERSIZED_HEAD_BYTES));
      this.skipping = { head, size: this.size };
      this.parts = [];
      this.size = 0;
    }
  }

  private finishLine(lines: Line[]): void {
    if (this.skipping) {
      lines.push({ kind: "oversized", ...this.skipping });
      this.skipping = undefined;
      return;
    }
    const bytes = concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    let text = this.decoder.decode(bytes);
    if (text.endsWith("\r")) text = text.slice(0, -1);
    if (text.trim() !== "") lines.push({ kind: "line", text });
  }
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  const joined = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

/** The UTF-8 size of `text`, computed only when it could exceed `limit` (a character is at most 3 bytes). */
export function utf8Length(text: string, limit: number): number {
  return text.length * 3 <= limit ? text.length : new TextEncoder().encode(text).length;
}

export function encodeLine(message: unknown): string {
  return JSON.stringify(message) + "\n";
}
