// The README's minimal client, kept here so the build type-checks it (it is not run: it needs
// `threadloom` on PATH). Keep the two in step.
import { AppServerClient, HttpSseTransport, RpcError, type v2 } from "../src/index.js";
import { StdioTransport } from "@threadloom/runtime/stdio";

export async function readmeExample(): Promise<void> {
  const client = await AppServerClient.connect({
    // The reference server over stdio: the client speaks JSON Lines on its stdin/stdout.
    transport: new StdioTransport({ command: "threadloom", args: ["serve"] }),
    clientInfo: { name: "my-editor", version: "1.0.0" },
  });
  console.log("speaking protocol version", client.protocolVersion);

  client.handle("item/commandExecution/requestApproval", async (params) => {
    return { decision: params.command.startsWith("rm ") ? "decline" : "accept" };
  });
  client.on("item/agentMessage/delta", (p) => process.stdout.write(p.delta));

  const { thread } = await client.call.threadStart({ cwd: process.cwd() });
  const done = new Promise<v2.Turn>((resolve) => client.on("turn/completed", (p) => resolve(p.turn)));
  await client.request("turn/start", { threadId: thread.id, input: [{ type: "text", text: "run the tests" }] });
  const turn = await done;

  for (const item of turn.items) {
    switch (item.type) {
      case "agentMessage":
        console.log(item.text);
        break;
      case "commandExecution":
        console.log(item.command, item.exitCode);
        break;
      default:
        // ThreadItem is open: a newer server may send item types these bindings do not know.
        console.log("skipping item of type", String(item.type));
    }
  }

  try {
    await client.request("thread/read", { threadId: "nope" });
  } catch (error) {
    if (error instanceof RpcError && error.is("ThreadNotFound")) console.log("no thread", error.data?.threadId);
  }
  await client.close();
}

export async function readmeHttpExample(token: string): Promise<AppServerClient> {
  return AppServerClient.connect({
    transport: new HttpSseTransport({ baseUrl: "http://127.0.0.1:8765", token }),
    clientInfo: { name: "my-web-app", version: "1.0.0" },
  });
}
