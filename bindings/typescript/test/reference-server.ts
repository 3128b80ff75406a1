// Starting the reference server (`threadloom serve`, server/) for the end-to-end and browser tests.
// Which command: THREADLOOM_SERVE (a command line, words separated by spaces), else the project's
// own `.venv/bin/threadloom serve`. Every server gets an in-memory store and a fresh workspace.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const PROJECT_THREADLOOM = fileURLToPath(new URL("../../../../.venv/bin/threadloom", import.meta.url));

/** The `threadloom serve` command line, or undefined when there is none on this machine. */
export function serveCommand(): string[] | undefined {
  const configured = process.env["THREADLOOM_SERVE"]?.trim();
  if (configured) return configured.split(/\s+/);
  return existsSync(PROJECT_THREADLOOM) ? [PROJECT_THREADLOOM, "serve"] : undefined;
}

export const NO_SERVER_REASON = "no reference server: set THREADLOOM_SERVE or create the project's .venv (make)";

/** stdio: the command and arguments for a StdioTransport. */
export function stdioServer(): { command: string; args: string[] } {
  const [command = "", ...args] = serveCommand() ?? [];
  return { command, args: [...args, ...isolation()] };
}

export interface HttpServer {
  url: string;
  token: string;
  process: ChildProcessWithoutNullStreams;
  stop(): Promise<void>;
}

/** HTTP+SSE: starts a server on a free port and reads its `listening` line. */
export async function httpServer(extraArgs: string[] = []): Promise<HttpServer> {
  const [command = "", ...args] = serveCommand() ?? [];
  const child = spawn(command, [...args, ...isolation(), "--http", "127.0.0.1:0", ...extraArgs], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr = (stderr + text).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", resolve);
    child.once("close", (code) => reject(new Error(`threadloom serve --http exited with ${code} before listening: ${stderr}`)));
  });
  const { url, token } = JSON.parse(line) as { url: string; token: string };
  return {
    url,
    token,
    process: child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

const workspaces: string[] = [];
process.once("exit", () => {
  for (const folder of workspaces) rmSync(folder, { recursive: true, force: true });
});

function isolation(): string[] {
  const workspace = mkdtempSync(join(tmpdir(), "threadloom-ts-e2e-"));
  workspaces.push(workspace);
  return ["--store", ":memory:", "--workspace", workspace];
}
