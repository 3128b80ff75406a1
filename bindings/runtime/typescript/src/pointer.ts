// JSON pointers (RFC 6901) into handshake params and results: the handshake table names its fields
// by pointer, so the runtime needs no field name of any protocol.

function tokens(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((token) => token.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at `pointer`, or undefined when any step is missing. */
export function getAt(document: unknown, pointer: string): unknown {
  let current: unknown = document;
  for (const token of tokens(pointer)) {
    if (!isRecord(current)) return undefined;
    current = current[token];
  }
  return current;
}

/**
 * A copy of `document` with `value` at `pointer` unless something is there already (what the caller
 * set wins), creating intermediate objects as needed.
 */
export function withDefaultAt(document: Record<string, unknown>, pointer: string, value: unknown): Record<string, unknown> {
  const path = tokens(pointer);
  const last = path.pop();
  if (last === undefined) return document;
  const root: Record<string, unknown> = { ...document };
  let current = root;
  for (const token of path) {
    const next = current[token];
    const copy: Record<string, unknown> = isRecord(next) ? { ...next } : {};
    current[token] = copy;
    current = copy;
  }
  if (current[last] === undefined) current[last] = value;
  return root;
}
