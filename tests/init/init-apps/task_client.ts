// A Node client of the protocol `threadloom init` writes, on its generated package (npm name
// @acme/tasks, installed from its tarball). The test compiles it with tsc --strict and runs it
// against task_server.py (the generated Python stubs, in the fresh venv); it prints a JSON report.
import { RpcError, TaskBoardClient, type v1 } from "@acme/tasks";
import { StdioTransport } from "@acme/tasks/stdio";

const [command = "python3", ...args] = process.argv.slice(2);

function describe(content: v1.TaskContent): string {
  switch (content.type) {
    case "text":
      return `text: ${content.text}`;
    case "link":
      return `link: ${content.url}`;
    default:
      return `unknown: ${String(content.type)}`; // an open union: a kind added by a newer server
  }
}

const client = await TaskBoardClient.connect({ transport: new StdioTransport({ command, args }), requestTimeoutMs: 600_000 });
const reasons: string[] = [];
client.handle("task/confirm", ({ task, reason }) => {
  reasons.push(reason);
  return { confirmed: task.content.type === "text" }; // keep links
});
const announced = new Promise<string>((resolve) => client.on("task/changed", ({ task }) => resolve(describe(task.content))));
const added = await client.call.taskAdd({ content: { type: "text", text: "write the docs" } });
const removed = await client.call.taskRemove({ taskId: added.task.id });
const missing = await client.call.taskRemove({ taskId: added.task.id }).catch((e: unknown) => e);
const report = {
  added: added.task,
  announced: await announced,
  removed: removed.removed,
  reasons,
  missing: missing instanceof RpcError && missing.is("TaskNotFound") ? `TaskNotFound ${missing.data?.taskId}` : String(missing),
};
await client.close();
console.log(JSON.stringify(report));
