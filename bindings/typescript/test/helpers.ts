// Shared set-up for the client tests: a client on a fake server over either transport.
import { fileURLToPath } from "node:url";

import type * as v2 from "../src/v2.js";
import { AppServerClient, type ClientOptions } from "../src/index.js";
import { HttpSseTransport } from "@threadloom/runtime";
import { StdioTransport } from "@threadloom/runtime/stdio";
import { FakeHttpServer } from "./fixtures/fake-http-server.js";

export const FAKE_STDIO_SERVER = fileURLToPath(new URL("./fixtures/fake-stdio-server.js", import.meta.url));
export const CLIENT_INFO: v2.ClientInfo = { name: "threadloom-ts-tests", version: "0.0.0" };

export interface Harness {
  client: AppServerClient;
  errors: Error[];
  /** The HTTP fake, for the HTTP transport. */
  http?: FakeHttpServer;
  transport: StdioTransport | HttpSseTransport;
  dispose(): Promise<void>;
}

export type Options = Partial<Omit<ClientOptions, "transport">> & { env?: Record<string, string> };

export async function stdioHarness(options: Options = {}): Promise<Harness> {
  const transport = new StdioTransport({ command: process.execPath, args: [FAKE_STDIO_SERVER], env: { ...process.env, ...options.env } });
  const errors: Error[] = [];
  const client = new AppServerClient({ transport, onError: (e) => errors.push(e), ...options });
  return { client, errors, transport, dispose: () => client.close() };
}

export async function httpHarness(options: Options = {}): Promise<Harness> {
  const http = await new FakeHttpServer().listen();
  const transport = new HttpSseTransport({ baseUrl: http.url, token: http.token, reconnectDelayMs: 20 });
  const errors: Error[] = [];
  const client = new AppServerClient({ transport, onError: (e) => errors.push(e), ...options });
  return {
    client,
    errors,
    http,
    transport,
    dispose: async () => {
      await client.close();
      await http.close();
    },
  };
}

export const TRANSPORTS = { stdio: stdioHarness, "http+sse": httpHarness } as const;

/** Resolves with the params of the next notification of `method`. */
export function next<M extends keyof v2.ServerNotificationMethods>(client: AppServerClient, method: M): Promise<v2.ServerNotificationMethods[M]["params"]> {
  return new Promise((resolve) => {
    const off = client.on(method, (params) => {
      off();
      resolve(params);
    });
  });
}

/** Starts a turn with `text` and collects what streams until `turn/completed`. */
export async function runTurn(client: AppServerClient, threadId: string, text: string): Promise<{ deltas: string[]; completed: v2.ThreadItem[]; final: v2.Turn }> {
  const deltas: string[] = [];
  const completed: v2.ThreadItem[] = [];
  const offDelta = client.on("item/agentMessage/delta", (p) => deltas.push(p.delta));
  const offItem = client.on("item/completed", (p) => completed.push(p.item));
  const done = next(client, "turn/completed");
  const started = await client.request("turn/start", { threadId, input: [{ type: "text", text }] });
  if (started.turn.status !== "inProgress") throw new Error(`turn/start answered status ${started.turn.status}`);
  const final = (await done).turn;
  offDelta();
  offItem();
  return { deltas, completed, final };
}
