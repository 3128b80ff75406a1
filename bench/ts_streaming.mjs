// Deltas per second received by the TypeScript client (mode "client") or by a raw line reader
// (mode "raw") from `threadloom serve`. Usage: node ts_streaming.mjs MODE WORDS SERVER_CMD...
// Prints the rate as the last line. Run from bindings/typescript (it imports the built package).
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

const [mode, wordsArg, command, ...args] = process.argv.slice(2);
const words = Number(wordsArg);
const text = Array.from({ length: words }, (_, i) => `w${i % 1000}`).join(" ");

async function viaClient() {
  const { AppServerClient } = await import(new URL("../bindings/typescript/dist/src/index.js", import.meta.url));
  const { StdioTransport } = await import(new URL("../bindings/typescript/dist/src/stdio.js", import.meta.url));
  const client = await AppServerClient.connect({
    transport: new StdioTransport({ command, args }),
    clientInfo: { name: "bench", version: "1" },
  });
  let first = 0, last = 0, count = 0;
  client.on("item/agentMessage/delta", () => {
    last = performance.now();
    if (!first) first = last;
    count++;
  });
  const done = new Promise((resolve) => client.on("turn/completed", resolve));
  const { thread } = await client.call.threadStart({});
  await client.call.turnStart({ threadId: thread.id, input: [{ type: "text", text }] });
  await done;
  await client.close();
  return (count - 1) / ((last - first) / 1000);
}

async function viaRawReader() {
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "ignore"] });
  const send = (m) => child.stdin.write(JSON.stringify({ jsonrpc: "2.0", ...m }) + "\n");
  const lines = createInterface({ input: child.stdout });
  let first = 0, last = 0, count = 0, threadId;
  send({ id: 1, method: "initialize", params: { clientInfo: { name: "bench", version: "1" }, protocolVersions: [2] } });
  for await (const line of lines) {
    const message = JSON.parse(line);
    if (message.id === 1) {
      send({ method: "initialized", params: {} });
      send({ id: 2, method: "thread/start", params: {} });
    } else if (message.id === 2) {
      threadId = message.result.thread.id;
      send({ id: 3, method: "turn/start", params: { threadId, input: [{ type: "text", text }] } });
    } else if (message.method === "item/agentMessage/delta") {
      last = performance.now();
      if (!first) first = last;
      count++;
    } else if (message.method === "turn/completed") {
      break;
    }
  }
  child.stdin.end();
  return (count - 1) / ((last - first) / 1000);
}

const rate = mode === "client" ? await viaClient() : await viaRawReader();
console.log(rate.toFixed(0));
