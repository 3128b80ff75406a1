// Narrowing helpers, also a compile-time test: switches over closed and open unions and enums.
import type * as v2 from "../src/v2.js";

function assertNever(value: never): never {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}

// A closed union narrows in a switch, and the exhaustive check compiles.
export function describeInput(input: v2.UserInput): string {
  switch (input.type) {
    case "text":
      return input.text;
    case "image":
      return input.url;
    case "mention":
      return input.name ?? input.path;
    default:
      return assertNever(input);
  }
}

// An open union narrows too; the default branch receives the unknown member, not `never`.
export function describeItem(item: v2.ThreadItem): string {
  switch (item.type) {
    case "userMessage":
      return `user: ${item.content.length} inputs`;
    case "agentMessage":
      return `agent: ${item.text}`;
    case "commandExecution":
      return `command: ${item.command} (${item.exitCode ?? "running"})`;
    case "fileChange":
      return `files: ${item.changes.map((c) => c.path).join(",")}`;
    case "reasoning":
      return `reasoning: ${item.summary.join(" ")}`;
    case "plan":
      return `plan: ${item.steps.length} steps`;
    default: {
      const unknown: v2.UnknownThreadItem = item;
      const tag: string = String(unknown.type);
      // @ts-expect-error an open union is never exhausted: new servers may send new variants
      const exhausted: never = item;
      void exhausted;
      return `unknown item type ${tag}`;
    }
  }
}

// Open enums: known values narrow; the rest is `UnknownValue`, which no literal can forge.
export function describeStatus(status: v2.TurnStatus): string {
  switch (status) {
    case "inProgress":
    case "completed":
    case "interrupted":
    case "failed":
      return status;
    default: {
      const unknown: v2.UnknownValue = status;
      return `unknown status ${unknown}`;
    }
  }
}

// A closed enum is exhaustible.
export function decisionLabel(decision: v2.ApprovalDecision): string {
  switch (decision) {
    case "accept":
    case "decline":
    case "acceptForSession":
    case "cancel":
      return decision;
    default:
      return assertNever(decision);
  }
}

// Typos against known literals do not compile, for open enums as for open union tags; unknown values
// from a newer server stay representable.
export function typosAreCaught(status: v2.TurnStatus, item: v2.ThreadItem): boolean[] {
  const fromNewerServer = JSON.parse('"paused"') as v2.TurnStatus;
  switch (status) {
    // @ts-expect-error a misspelt case of an open enum
    case "complted":
      break;
  }
  return [
    status === "completed",
    // @ts-expect-error a misspelt value of an open enum
    status === "complted",
    item.type === "agentMessage",
    // @ts-expect-error a misspelt tag of an open union
    item.type === "agentMesage",
    String(fromNewerServer) === "paused",
  ];
}
