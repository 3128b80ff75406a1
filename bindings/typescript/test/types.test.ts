// Type-level tests: this file must compile. Each invalid value sits under `@ts-expect-error`, so
// the build fails if the generated types ever start accepting it. The runtime assertions at the end
// show the same narrowing working on values from a "newer server".
import assert from "node:assert/strict";
import { test } from "node:test";

import type * as v1 from "../src/v1.js";
import * as v2 from "../src/v2.js";
import type { AppServerClient } from "../src/index.js";
import { describeItem, describeStatus } from "./narrowing.js";

export const validThreadListParams: v2.ThreadListParams = { cursor: null, limit: 10, archiveFilter: "all" };
export const validEmptyParams: v2.ThreadListParams = {};
export const validCommand: v2.CommandExecutionItem = {
  type: "commandExecution",
  id: "i1",
  command: "ls",
  cwd: "/",
  status: "inProgress",
  aggregatedOutput: null,
  exitCode: null,
};
export const validV1Init: v1.InitializeParams = { clientInfo: { name: "x", version: "1" } };
export const validV2Init: v2.InitializeParams = { clientInfo: { name: "x", version: "1" }, protocolVersions: [2, 1] };

// @ts-expect-error required `threadId` is missing
export const missingRequired: v2.ThreadReadParams = { includeTurns: true };
// @ts-expect-error `cwd` is optional but not nullable
export const nullWhereNotNullable: v2.ThreadStartParams = { cwd: null };
// @ts-expect-error optional means "absent", not "undefined" (exactOptionalPropertyTypes)
export const explicitUndefined: v2.ThreadStartParams = { cwd: undefined };
// @ts-expect-error a nullable required field cannot be left out
export const missingNullable: v2.ThreadNameSetParams = { threadId: "t" };
// @ts-expect-error not a value of the closed enum ApprovalPolicy
export const badClosedEnum: v2.ApprovalPolicy = "sometimes";
// @ts-expect-error a client cannot invent a value of an open enum either
export const badOpenEnum: v2.TurnStatus = "paused";
// @ts-expect-error the tag decides the shape: a text input has no url
export const wrongVariantShape: v2.UserInput = { type: "text", url: "https://x" };
// @ts-expect-error unknown tag of a closed union
export const unknownClosedTag: v2.UserInput = { type: "audio", data: "" };
// @ts-expect-error v1 has no protocolVersions
export const v2FieldInV1: v1.InitializeParams = { clientInfo: { name: "x", version: "1" }, protocolVersions: [1] };
// @ts-expect-error the jsonrpc member is the literal "2.0"
export const badJsonRpc: v2.InitializedNotification = { jsonrpc: "1.0", method: "initialized", params: {} };
// @ts-expect-error wrong params type for the method
export const wrongParams: v2.ClientRequestMethods["thread/read"]["params"] = { thread: "t" };

test("an item of a type this version does not know reaches the default branch at runtime", () => {
  const fromNewerServer = JSON.parse('{"type":"hologram","id":"h1","frames":3}') as v2.ThreadItem;
  assert.equal(describeItem(fromNewerServer), "unknown item type hologram");
  assert.equal(v2.isKnownThreadItem(fromNewerServer), false);
});

test("a known item narrows at runtime too", () => {
  const item = JSON.parse('{"type":"agentMessage","id":"a","text":"hi"}') as v2.ThreadItem;
  assert.equal(describeItem(item), "agent: hi");
  assert.equal(v2.isKnownThreadItem(item), true);
});

test("an unknown open-enum value is reported, a known one is kept", () => {
  assert.equal(describeStatus(JSON.parse('"paused"') as v2.TurnStatus), "unknown status paused");
  assert.equal(describeStatus("failed"), "failed");
  assert.equal(v2.isKnownTurnStatus(JSON.parse('"paused"') as v2.TurnStatus), false);
});

test("the method table matches the method maps", () => {
  const requests = v2.METHODS.filter((m) => m.direction === "clientToServer" && m.kind === "request").map((m) => m.name);
  const mapKeys: (keyof v2.ClientRequestMethods)[] = requests;
  assert.ok(mapKeys.includes("turn/start"));
  assert.equal(v2.ERRORS.ThreadNotFound, -32010);
});

// The client's API is typed by the method maps. These functions are never called: compiling is the test.
export function clientTyping(client: AppServerClient, v1client: v1.AppServerClient): void {
  void client.request("thread/start", { cwd: "/x", approvalPolicy: "never" }).then((r) => r.thread.id);
  // @ts-expect-error wrong params type for thread/start
  void client.request("thread/start", { cwd: 1 });
  // @ts-expect-error no such method
  void client.request("thread/explode", {});
  // @ts-expect-error a notification is not a request
  void client.request("turn/completed", {});
  void client.call.turnInterrupt({ threadId: "t", turnId: "u" });
  // @ts-expect-error turnInterrupt needs a turnId
  void client.call.turnInterrupt({ threadId: "t" });
  client.on("turn/completed", (params) => params.turn.status);
  // @ts-expect-error delta params have no `turn`
  client.on("item/agentMessage/delta", (params) => params.turn);
  client.handle("item/fileChange/requestApproval", (params) => ({ decision: params.changes.length > 1 ? "decline" : "accept" }));
  // @ts-expect-error an approval decision must be one of the closed enum's values
  client.handle("item/commandExecution/requestApproval", () => ({ decision: "maybe" }));
  // @ts-expect-error thread/fork is new in v2: a v1-typed client does not have it
  void v1client.request("thread/fork", { threadId: "t" });
}
