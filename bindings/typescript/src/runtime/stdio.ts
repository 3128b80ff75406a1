// stdio transport (Node only): spawns the server and speaks JSON Lines over its stdin/stdout.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";

import { ConnectionClosedError, TransportError } from "./errors.js";
import { DEFAULT_MAX_LINE_BYTES, encodeLine, JsonlDecoder } from "./jsonl.js";
import type { Message } from "./jsonrpc.js";
import type { Transport, TransportEvents } from "./transport.js";

export interface StdioOptions {
  command: string;
  args?: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Longest line accepted from the server. Default 8 MiB, the protocol's limit. */
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

  constructor(private readonly options: StdioOptions) {}

  /** The server's process id, once started. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(events: TransportEvents): Promise<void> {
    const { command, args = [], cwd, env } = this.options;
    const child = spawn(command, [...args], { cwd, env: env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    this.child = child;
    const decoder = new JsonlDecoder(this.options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
    child.stdout.on("data", (chunk: Buffer) => this.onData(decoder, chunk, events));
    child.stdout.on("end", () => this.deliver(decoder.end(), events));
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_CHARS);
    });
    // Writing to a dead child raises EPIPE on stdin; `close` below reports the exit instead.
    child.stdin.on("error", () => undefined);
    this.exited = new Promise((resolve) => {
      // "close" (not "exit"): it comes after stdout is drained, so no response is lost.
      child.on("close", (code, signal) => {
        resolve();
        if (!this.closing) events.close(new ConnectionClosedError(this.describeExit(code, signal)));
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
    if (!stdin.write(encodeLine(message))) {
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

  private onData(decoder: JsonlDecoder, chunk: Buffer, events: TransportEvents): void {
    let lines: string[];
    try {
      lines = decoder.push(chunk);
    } catch (error) {
      events.close(error instanceof Error ? error : new TransportError(String(error)));
      this.closing = true;
      this.child?.kill("SIGTERM");
      return;
    }
    this.deliver(lines, events);
  }

  private deliver(lines: string[], events: TransportEvents): void {
    for (const line of lines) {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        events.protocolError(new TransportError(`the server wrote a line that is not JSON: ${line.slice(0, 200)}`));
        continue;
      }
      events.message(value);
    }
  }

  private describeExit(code: number | null, signal: NodeJS.Signals | null): string {
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const tail = this.stderrTail.trim();
    return `the server process ${how}${tail ? `; its last stderr output: ${tail.split("\n").slice(-5).join(" | ")}` : ""}`;
  }
}
