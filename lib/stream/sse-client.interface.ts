import type { IncomingMessage } from 'node:http';

/** The request of a stream, as Express (or any Node HTTP framework) extends it. */
export type SseRequest = IncomingMessage & {
  user?: unknown;
  params?: Record<string, string>;
  query?: Record<string, unknown>;
  cookies?: Record<string, string>;
};

/** Why a stream ended. */
export type SseCloseReason =
  | 'client-closed'
  | 'completed'
  | 'error'
  | 'frame-error'
  | 'slow-client'
  | 'disconnected'
  | 'shutdown'
  | 'auth-expired'
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
}
