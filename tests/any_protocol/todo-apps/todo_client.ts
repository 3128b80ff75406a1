// A Node client of the todo test protocol, written against the generated package as a user would
// (installed from its tarball). The acceptance test compiles it with tsc --strict and runs it against
// the server built on the generated Python stubs (todo_server.py, started from the fresh venv); it
// prints what it saw as JSON. Usage: node dist/main.js PYTHON todo_server.py
import { ConnectionClosedError, MessageTooLargeError, RpcError, TodoAgentClient, v1, type v2 } from "@acme/todo-client";
import { StdioTransport } from "@acme/todo-client/stdio";

const [command = "python3", ...args] = process.argv.slice(2);
const requestTimeoutMs = 600_000; // only detects a hang: a busy machine may be slow

function describeStep(step: v2.PlanStep): string {
  switch (step.type) {
    case "note":
      return `note: ${step.text}`;
    case "todo":
      return `todo: ${step.todoId}`;
  }
}

function describePriority(priority: v2.Priority): string {
  switch (priority) {
    case "low":
    case "normal":
    case "high":
      return priority;
    default:
      return `unknown ${String(priority)}`; // a level added by a newer server
  }
}

// Each marked line must fail to compile; the test checks that without the markers tsc fails exactly there.
export function mistakes(client: TodoAgentClient, todo: v2.Todo, step: v2.PlanStep): unknown[] {
  return [
    // @ts-expect-error a misspelt value of the open enum Priority
    todo.priority === "hgih",
    // @ts-expect-error a misspelt tag of the tagged union PlanStep
    step.type === "nite",
    // @ts-expect-error v2's declared break: todo/add requires a priority
    client.call.todoAdd({ title: "no priority" }),
  ];
}

function notified(client: TodoAgentClient, title: string): Promise<v2.Todo> {
  return new Promise((resolve) => {
    const off = client.on("todo/changed", ({ todo }) => {
      if (todo.title === title) {
        off();
        resolve(todo);
      }
    });
  });
}

async function session(): Promise<Record<string, unknown>> {
  const problems: string[] = [];
  const client = await TodoAgentClient.connect({ transport: new StdioTransport({ command, args }), requestTimeoutMs, onError: (e) => problems.push(e.name) });
  const questions: string[] = [];
  client.handle("confirm/ask", ({ question }) => {
    questions.push(question);
    return { approved: true };
  });

  const announced = notified(client, "water the plants"); // registered before the request: it follows the response
  const added = await client.call.todoAdd({ title: "water the plants", priority: "high" });
  const planned = await client.call.agentPlan({ goal: "file taxes" });
  const { todos } = await client.request("todo/list", {});
  const completed = await client.call.todoComplete({ todoId: added.todo.id });
  const missing = await client.call.todoComplete({ todoId: "nope" }).catch((e: unknown) => e);
  const tooLarge = await client.call.todoAdd({ title: "x".repeat(1_100_000), priority: "low" }).catch((e: unknown) => e);
  const seen = await announced;
  await client.close();
  return {
    protocolVersion: client.protocolVersion,
    added: added.todo,
    announced: seen,
    questions,
    steps: planned.steps.map(describeStep),
    priorities: todos.map((todo) => describePriority(todo.priority)),
    completed: completed.todo.done,
    missing: missing instanceof RpcError && missing.is("TodoNotFound") ? `TodoNotFound ${missing.data?.todoId}` : String(missing),
    tooLarge: tooLarge instanceof MessageTooLargeError ? `${tooLarge.method} ${tooLarge.writer} ${tooLarge.limit}` : String(tooLarge),
    problems,
  };
}

async function olderClient(): Promise<unknown> {
  const client = await v1.TodoAgentClient.connect({ transport: new StdioTransport({ command, args }), requestTimeoutMs });
  const refused = await client.call.todoAdd({ title: "no priority" }).catch((e: unknown) => e); // valid in v1 only
  await client.close();
  return refused instanceof RpcError ? refused.code : String(refused);
}

async function deadServer(): Promise<string> {
  const client = await TodoAgentClient.connect({ transport: new StdioTransport({ command, args: [...args, "--die"] }), requestTimeoutMs });
  const failed = await client.call.todoList({}).catch((e: unknown) => e);
  await client.close();
  return failed instanceof ConnectionClosedError ? failed.message : `not closed: ${String(failed)}`;
}

const report = await session();
report["v1WithoutPriority"] = await olderClient();
report["dead"] = await deadServer();
console.log(JSON.stringify(report));
