// JSON-RPC 2.0 message shapes as the client handles them, independent of any protocol. A protocol
// may leave out the `"jsonrpc"` member (its framing says so): it is optional when reading.

export type RequestId = string | number;

export interface RequestMessage {
  jsonrpc?: "2.0";
  id: RequestId;
  method: string;
  params?: unknown;
}

export interface NotificationMessage {
  jsonrpc?: "2.0";
  method: string;
  params?: unknown;
}

export interface SuccessMessage {
  jsonrpc?: "2.0";
  id: RequestId;
  result: unknown;
}

export interface ErrorPayload {
  code: number;
  message: string;
  data?: unknown;
}

export interface FailureMessage {
  jsonrpc?: "2.0";
  id: RequestId | null;
  error: ErrorPayload;
}

export type Message = RequestMessage | NotificationMessage | SuccessMessage | FailureMessage;

/** What an incoming value is, decided by which members it has (JSON-RPC has no explicit tag). */
export type Classified =
  | { kind: "request"; message: RequestMessage }
  | { kind: "notification"; message: NotificationMessage }
  | { kind: "success"; message: SuccessMessage }
  | { kind: "failure"; message: FailureMessage }
  | { kind: "invalid"; reason: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is RequestId {
  return typeof value === "string" || (typeof value === "number" && Number.isInteger(value));
}

/** `requireJsonrpc`: the protocol's framing puts `"jsonrpc": "2.0"` on every message. */
export function classify(value: unknown, requireJsonrpc = true): Classified {
  if (!isObject(value)) return { kind: "invalid", reason: "not a JSON object" };
  if (requireJsonrpc ? value["jsonrpc"] !== "2.0" : value["jsonrpc"] !== undefined && value["jsonrpc"] !== "2.0") {
    return { kind: "invalid", reason: "not a JSON-RPC 2.0 object" };
  }
  const { id, method } = value;
  if (typeof method === "string") {
    if (id === undefined) return { kind: "notification", message: value as unknown as NotificationMessage };
    if (isId(id)) return { kind: "request", message: value as unknown as RequestMessage };
    return { kind: "invalid", reason: `request ${method} has an invalid id` };
  }
  if ("result" in value && isId(id)) return { kind: "success", message: value as unknown as SuccessMessage };
  const error = value["error"];
  if (isObject(error) && typeof error["code"] === "number" && typeof error["message"] === "string" && (id === null || isId(id))) {
    return { kind: "failure", message: value as unknown as FailureMessage };
  }
  return { kind: "invalid", reason: "neither a request, a notification nor a response" };
}

/**
 * What the first bytes of a message say about it: its top-level `id` and whether it has a top-level
 * `method` (a request) — enough to fail the call whose response was too large to read.
 */
export function peekEnvelope(head: string): { id: RequestId | undefined; hasMethod: boolean } {
  let id: RequestId | undefined;
  let hasMethod = false;
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < head.length; i++) {
    const c = head[i];
    if (c === "{" || c === "[") {
      depth += 1;
      expectKey = c === "{" && depth === 1;
    } else if (c === "}" || c === "]") {
      depth -= 1;
    } else if (c === ",") {
      expectKey = depth === 1;
    } else if (c === '"') {
      const end = stringEnd(head, i);
      if (end === -1) break;
      if (expectKey && depth === 1) {
        const key = head.slice(i + 1, end);
        const value = head.slice(end + 1).match(/^\s*:\s*(-?\d+|"(?:[^"\\]|\\.)*")/);
        if (key === "method") hasMethod = true;
        if (key === "id" && value?.[1] !== undefined) id = JSON.parse(value[1]) as RequestId;
        expectKey = false;
      }
      i = end;
    }
  }
  return { id, hasMethod };
}

function stringEnd(text: string, quote: number): number {
  for (let i = quote + 1; i < text.length; i++) {
    if (text[i] === "\\") i += 1;
    else if (text[i] === '"') return i;
  }
  return -1;
}
