// What the runtime knows about a protocol: nothing, until generated code hands it these tables
// (built from the protocol document's `x-methods`, `x-errors` and `x-protocol`) and a `Spec` type.

/** The type-level description of one protocol version that generated code supplies. */
export interface AnySpec {
  version: number;
  clientRequests: Record<string, { params: unknown; result: unknown }>;
  clientNotifications: Record<string, { params: unknown }>;
  serverRequests: Record<string, { params: unknown; result: unknown }>;
  serverNotifications: Record<string, { params: unknown }>;
  /** Error name -> type of its `data`. */
  errors: Record<string, unknown>;
  /** The handshake request's method name, or `never` for a protocol without a handshake. */
  handshake: string;
}

/** One row of the method table. */
export interface MethodInfo {
  readonly name: string;
  readonly direction: "clientToServer" | "serverToClient";
  readonly kind: "request" | "notification";
  readonly since: number;
  readonly stability: "stable" | "experimental" | "deprecated";
  readonly deprecated?: { readonly replacement: string | null; readonly removeIn: number | null };
}

/**
 * The protocol's opening exchange (`x-protocol.handshake`). Pointers are JSON pointers into the
 * handshake request's params (offer, opt-in, opt-outs) or its result (the chosen version).
 */
export interface HandshakeInfo {
  readonly method: string;
  /** The notification the client sends once it has the answer. */
  readonly initialized: string | null;
  readonly versionOffer: string | null;
  /** Whether the offer is a list of versions (else the single newest version offered). */
  readonly versionOfferIsList: boolean;
  readonly versionChosen: string | null;
  readonly experimentalOptIn: string | null;
  readonly optOutNotifications: string | null;
}

/** What every message carries besides the JSON-RPC shapes (`x-protocol.framing`). */
export interface FramingInfo {
  /** Every message carries `"jsonrpc": "2.0"`; false for protocols that omit it. */
  readonly jsonrpcMember: boolean;
  /** Extra top-level members notifications carry (e.g. a timestamp); given to `onAny` listeners. */
  readonly notificationExtras: readonly string[];
}

export interface HttpTransportInfo {
  readonly post: string;
  readonly events: string;
  readonly sessionHeader: string;
  readonly maxMessageBytes?: number;
  /** Settings the runtime does not use (auth scheme, default bind address, ...). */
  readonly [setting: string]: unknown;
}

export interface StdioTransportInfo {
  readonly framing?: string;
  readonly maxMessageBytes?: number;
  readonly [setting: string]: unknown;
}

/** `x-protocol.transports`: which transports the protocol defines, with paths and size limits. */
export interface TransportsInfo {
  readonly stdio?: StdioTransportInfo;
  readonly http?: HttpTransportInfo;
  /** Transports this runtime does not implement. */
  readonly [name: string]: unknown;
}

/** Everything the runtime needs at run time about one protocol version. */
export interface ProtocolInfo {
  readonly name: string;
  readonly version: number;
  /** The versions a client of this version speaks, most preferred first. */
  readonly versions: readonly number[];
  readonly methods: readonly MethodInfo[];
  readonly errors: Readonly<Record<string, number>>;
  readonly handshake: HandshakeInfo | null;
  readonly framing: FramingInfo;
  readonly transports: TransportsInfo;
}

/** Used when a protocol states no message size limit for a transport. */
export const DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

export type RequestMethod<S extends AnySpec> = keyof S["clientRequests"] & string;
export type ParamsOf<S extends AnySpec, M extends RequestMethod<S>> = S["clientRequests"][M]["params"];
export type ResultOf<S extends AnySpec, M extends RequestMethod<S>> = S["clientRequests"][M]["result"];
export type NotificationMethod<S extends AnySpec> = keyof S["serverNotifications"] & string;
export type ClientNotificationMethod<S extends AnySpec> = keyof S["clientNotifications"] & string;
export type ServerRequestMethod<S extends AnySpec> = keyof S["serverRequests"] & string;

/** The params a caller passes to the handshake (the runtime fills in the version offer and opt-ins). */
export type HandshakeParams<S extends AnySpec> = [S["handshake"]] extends [never]
  ? Record<string, never>
  : S["handshake"] extends RequestMethod<S>
    ? ParamsOf<S, S["handshake"]>
    : never;

export type HandshakeResult<S extends AnySpec> = [S["handshake"]] extends [never]
  ? undefined
  : S["handshake"] extends RequestMethod<S>
    ? ResultOf<S, S["handshake"]>
    : never;
