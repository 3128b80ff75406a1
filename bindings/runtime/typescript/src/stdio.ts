/// <reference types="node" preserve="true" />
// stdio transport (Node only): spawns the server and speaks JSON Lines over its stdin/stdout.
// The server's output is read as an async stream: while the client is saturated nothing more is
// read, the pipe fills, and the server feels it (backpressure instead of unbounded buffering).
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";

import { ConnectionClosedError, MessageTooLargeError, TransportError } from "./errors.js";
import { encodeLine, JsonlDecoder, type Line, utf8Length } from "./jsonl.js";
import type { Message } from "./jsonrpc.js";
import { DEFAULT_MAX_MESSAGE_BYTES, type ProtocolInfo } from "./protocol.js";
import type { Transport, TransportEvents } from "./transport.js";

export interface StdioOptions {
  command: string;
  args?: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Longest line accepted from the server. Default: the protocol's stdio `maxMessageBytes`. */
  maxLineBytes?: number;
  /** How long `close()` waits for the server to exit after stdin closes before SIGTERM. Default 2000. */
  exitGraceMs?: number;
}

const STDERR_TAIL_CHARS = 2000;

export class StdioTransport implements Transport {
  private child: ChildProcessWithoutNullStreams | undefined = undefined;
  private stderrTail = "";
  private closing = false;
  private exited: Promise<void> = Promise.resolve();
  private limit = DEFAULT_MAX_MESSAGE_BYTES;
  // The reader waits for a saturated client; `onStall` runs when it starts to (see "exit").
  private waitingForClient = false;
  private onStall: (() => void) | undefined = undefined;

  constructor(private readonly options: StdioOptions) {}

  /** The server's process id, once started. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(events: TransportEvents, protocol: ProtocolInfo): Promise<void> {
    const { command, args = [], cwd, env } = this.options;
    const child = spawn(command, [...args], { cwd, env: env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    this.child = child;
    const limit = this.options.maxLineBytes ?? protocol.transports.stdio?.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.limit = limit;
    const pumped = this.pump(child, new JsonlDecoder(limit), events);
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_CHARS);
    });
    // Writing to a dead child raises EPIPE on stdin; `close` below reports the exit instead.
    child.stdin.on("error", () => undefined);
    this.exited = new Promise((resolve) => {
      let finished = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (finished) return;
        finished = true;
        resolve();
        if (!this.closing) events.close(new ConnectionClosedError(this.describeExit(code, signal)));
      };
      // "close" comes after stdout is drained: every line read before the exit is delivered
      // first, so no response is lost. But a reader waiting for a saturated client (handlers that
      // may never finish) never drains stdout; then the exit is reported as soon as it waits.
      child.on("close", (code, signal) => void pumped.then(() => finish(code, signal)));
      child.on("exit", (code, signal) => {
        if (this.waitingForClient) finish(code, signal);
        else this.onStall = () => finish(code, signal);
      });
    });
    return new Promise((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", (error) => {
        const failure = new ConnectionClosedError(`cannot start server \`${command}\`: ${error.message}`, { cause: error });
        reject(failure);
        if (!this.closing) events.close(failure);
      });
    });
  }

  async send(message: Message): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed || !stdin.writable) throw new ConnectionClosedError("the server's stdin is closed");
    const line = encodeLine(message);
    // Never send what the peer may refuse: the limit holds in both directions.
    const size = utf8Length(line, this.limit) - 1;
    if (size > this.limit) throw new MessageTooLargeError(size, this.limit, "method" in message ? message.method : undefined, "the client");
    if (!stdin.write(line)) {
      await new Promise<void>((resolve) => stdin.once("drain", resolve));
    }
  }

  async close(): Promise<void> {
    const child = this.child;
    if (!child || this.closing) return;
    this.closing = true;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin.end();
    const grace = this.options.exitGraceMs ?? 2000;
    const timer = setTimeout(() => child.kill("SIGTERM"), grace);
    const killTimer = setTimeout(() => child.kill("SIGKILL"), grace * 2);
    await this.exited;
    clearTimeout(timer);
    clearTimeout(killTimer);
  }

  private async pump(child: ChildProcessWithoutNullStreams, decoder: JsonlDecoder, events: TransportEvents): Promise<void> {
    try {
      for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
        for (const line of decoder.push(chunk)) {
          const saturated = this.deliver(line, decoder.maxLineBytes, events);
          if (saturated) {
            this.waitingForClient = true;
            this.onStall?.();
            await saturated;
            this.waitingForClient = false;
          }
        }
      }
    } catch {
      // A broken pipe ends the stream; the child's "close" reports why.
    }
    for (const line of decoder.end()) await this.deliver(line, decoder.maxLineBytes, events);
  }

  // Returns a promise only when the client asked to wait (awaiting nothing would cost a tick per line).
  private deliver(line: Line, limit: number, events: TransportEvents): void | Promise<void> {
    if (line.kind === "oversized") {
      events.oversized(line.head, line.size, limit);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch {
      events.protocolError(new TransportError(`the server wrote a line that is not JSON: ${line.text.slice(0, 200)}`));
      return;
    }
    return events.message(value);
  }

  private describeExit(code: number | null, signal: NodeJS.Signals | null): string {
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const tail = this.stderrTail.trim();
    return `the server process ${how}${tail ? `; its last stderr output: ${tail.split("\n").slice(-5).join(" | ")}` : ""}`;
  }
}
