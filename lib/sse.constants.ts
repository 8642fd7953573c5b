/** Metadata key of the options given to `@EventStream()`. */
export const SSE_STREAM_OPTIONS_METADATA = 'SSE:stream-options';
/** Injection token of the module options with defaults applied and validated. */
export const SSE_RESOLVED_OPTIONS = 'SSE:resolved-options';
/** Property of the request that holds its stream connection. */
export const SSE_CONNECTION_KEY = Symbol.for('nestjs-event-stream.connection');

/** The defaults of every stream option. */
export const DEFAULT_HEARTBEAT_MS = 15_000;
export const DEFAULT_RETRY_MS = 3_000;
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;
/** The name of the final word a stream sends when the server ends it. */
export const DEFAULT_END_EVENT_NAME = 'sse-end';
/** The default jitter of the first `retry:` hint, and of `maxLifetimeMs`: fractions of them. */
export const DEFAULT_RETRY_JITTER = 0.2;
export const DEFAULT_MAX_LIFETIME_JITTER = 0.1;
/** The default connection limits: per instance, per user, per address of anonymous streams. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
export const DEFAULT_MAX_CONNECTIONS_PER_USER = 16;
export const DEFAULT_MAX_ANONYMOUS_CONNECTIONS_PER_ADDRESS = 64;
/** The defaults of the history budgets, in bytes: in all, and per channel. */
export const DEFAULT_HISTORY_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_HISTORY_MAX_CHANNEL_BYTES = 4 * 1024 * 1024;
/** Injection token of the hub's broker (`SseBroker`): positions, history and fan-out between instances. */
export const SSE_BROKER = 'SSE:broker';
/** Injection token of the `SseChannelAuthorizer` that `SseHub.join()` asks. */
export const SSE_CHANNEL_AUTHORIZER = 'SSE:channel-authorizer';
/** Metadata key of the channel and options given to `@Broadcast()`. */
export const SSE_BROADCAST_METADATA = 'SSE:broadcast';
/** Injection token of the `SseScheduleLock` every scheduled broadcast tick asks. */
export const SSE_SCHEDULE_LOCK = 'SSE:schedule-lock';
/** The longest delay `setTimeout` / `setInterval` take (about 24.8 days). */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
