/**
 * The request of a stream, as the library reads it: what every platform's
 * request has (Express's, Fastify's and Node's own alike).
 */
export interface SseRequest {
  readonly method?: string;
  readonly url?: string;
  readonly httpVersion?: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Set by a guard, e.g. `SseAuthGuard`. */
  user?: unknown;
  readonly params?: Record<string, string>;
  readonly query?: Record<string, unknown>;
  readonly cookies?: Record<string, string>;
  /** The client's address as the platform sees it (Express: after `trust proxy`). */
  readonly ip?: string;
  readonly socket?: { readonly remoteAddress?: string };
}

/** Why a stream ended. */
export type SseCloseReason =
  | 'client-closed'
  | 'completed'
  | 'error'
  | 'frame-error'
  | 'slow-client'
  | 'disconnected'
  | 'shutdown'
  | 'lifetime'
  | 'auth-expired'
  | 'revoked'
  | 'no-content';

/**
 * One open stream, as `@SseClient()` hands it to a handler. Pass it to
 * `SseHub.join()` to receive channel events on this stream.
 */
export interface SseClient {
  /** Unique id of this connection (a UUID). */
  readonly id: string;
  /**
   * The id of the last event the client saw, from the `Last-Event-ID` header
   * (or a `lastEventId` query parameter for polyfills). `undefined` when absent,
   * overlong (over 256 characters) or containing control characters.
   */
  readonly lastEventId: string | undefined;
  /** The HTTP request that opened the stream. */
  readonly request: SseRequest;
  /** Aborts when the stream ends, for whatever reason. */
  readonly signal: AbortSignal;
  /** `request.user`, as set by a guard (e.g. `SseAuthGuard`). */
  readonly user: unknown;
  /** Whether the stream has ended. */
  readonly closed: boolean;
  /**
   * Bytes written to this stream that the client has not taken yet: held in
   * this process, waiting for the socket. Past `maxBufferedBytes` the stream
   * is cut as a slow client; a replay of history writes only while it is
   * under a quarter of that.
   */
  readonly bufferedBytes: number;
}
