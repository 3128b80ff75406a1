// A small page that uses the package over HTTP+SSE from a browser: initialize, start a thread,
// run a turn that needs an approval, and show the streamed text and the completed items.
import { AppServerClient, HttpSseTransport } from "../../src/index.js";

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (!found) throw new Error(`missing #${id}`);
  return found;
}

function show(state: string, text: string): void {
  const status = element("status");
  status.dataset["state"] = state;
  status.textContent = text;
}

async function main(): Promise<void> {
  // ?base= the server (default: this page's origin), ?token= its bearer token, ?text= the turn's input.
  const query = new URLSearchParams(location.search);
  const transport = new HttpSseTransport({ baseUrl: query.get("base") ?? location.origin, token: query.get("token") ?? "" });
  const client = await AppServerClient.connect({ transport, clientInfo: { name: "browser-check", version: "0.0.0" } });
  element("version").textContent = String(client.protocolVersion);
  let approvals = 0;
  client.handle("item/commandExecution/requestApproval", (params) => {
    approvals += 1;
    element("approvals").textContent = `${approvals}: ${params.command}`;
    return { decision: "accept" };
  });
  client.on("item/agentMessage/delta", (params) => {
    element("output").textContent += params.delta;
  });
  client.on("item/completed", ({ item }) => {
    const li = document.createElement("li");
    li.textContent = item.type === "commandExecution" ? `commandExecution ${item.status} exit ${item.exitCode}` : String(item.type);
    element("items").append(li);
  });
  const { thread } = await client.call.threadStart({ approvalPolicy: "always" });
  const completed = new Promise<string>((resolve) => client.on("turn/completed", ({ turn }) => resolve(String(turn.status))));
  show("running", "running");
  await client.call.turnStart({ threadId: thread.id, input: [{ type: "text", text: query.get("text") ?? "please approve" }] });
  const status = await completed;
  await client.close();
  show("done", `turn ${status}`);
}

main().catch((error: unknown) => show("failed", `failed: ${error instanceof Error ? error.message : String(error)}`));
