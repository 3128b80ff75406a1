// JSON-RPC 2.0 message shapes as the client handles them, independent of the protocol version.

export type RequestId = string | number;

export interface RequestMessage {
  jsonrpc: "2.0";
  id: RequestId;
  method: string;
  params?: unknown;
}

export interface NotificationMessage {
  jsonrpc: "2.0";
  method: string;
  params?: unknown;
}

export interface SuccessMessage {
  jsonrpc: "2.0";
  id: RequestId;
  result: unknown;
}

export interface ErrorPayload {
  code: number;
  message: string;
  data?: unknown;
}

export interface FailureMessage {
  jsonrpc: "2.0";
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

export function classify(value: unknown): Classified {
  if (!isObject(value) || value["jsonrpc"] !== "2.0") {
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
