import type { SseBroker } from '../brokers/sse-broker.interface.js';
import type { SseScheduleLock } from '../schedule/sse-schedule-lock.interface.js';
import type { SseRequest } from '../stream/sse-client.interface.js';
import type { SseStreamOptions } from '../stream/sse-stream-options.interface.js';
import type { SseAuthOptions } from '../auth/sse-auth-options.interface.js';

/** How much channel history the in-memory broker keeps for `Last-Event-ID` replay. */
export interface SseHistoryOptions {
  /** Events kept per channel. Default 1000; 0 keeps none (no replay). */
  maxEvents?: number;
  /** Age in ms past which events are dropped; 0 (default) keeps them by count only. */
  maxAgeMs?: number;
  /** Channels whose history is kept; past it, the one published to least recently is dropped. Default 10000. */
  maxChannels?: number;
  /** Bytes of history kept in all, oldest event evicted first. Default 64 MiB. */
  maxBytes?: number;
  /** Bytes of history kept per channel, oldest event evicted first. Default 4 MiB. */
  maxChannelBytes?: number;
}

/** Options of the hub: connection limits, users, replay. */
export interface SseHubOptions {
  /** History for replay, used by the default in-memory broker. */
  history?: SseHistoryOptions;
  /** Positions, history and fan-out between instances. Default: `new InMemorySseBroker(history)`; `RedisSseBroker` to scale out. */
  broker?: SseBroker;
  /**
   * Decides which instance runs each tick of a scheduled broadcast. Default:
   * `InMemorySseScheduleLock` (every instance runs every tick: right for one
   * instance). With several, `new RedisSseScheduleLock(broker)`.
   */
  scheduleLock?: SseScheduleLock;
  /**
   * Open streams allowed in this instance (opening ones included); past it
   * new ones get 503 with `Retry-After`. Default 10000; `Infinity` for no limit.
   */
  maxConnections?: number;
  /**
   * Open streams allowed per user (see `userIdOf`); past it new ones get 429
   * with `Retry-After`. Default 16 (a user with many tabs should share one
   * stream per tab that carries every channel); `Infinity` for no limit.
   */
  maxConnectionsPerUser?: number;
  /**
   * Open streams allowed per client address for requests with no user
   * (anonymous streams); past it new ones get 429 with `Retry-After`. Default
   * 64. The address is the platform's `request.ip`, which honours its
   * trust-proxy setting (Express: `app.set('trust proxy', ...)`; Fastify:
   * `new FastifyAdapter({ trustProxy })`): behind a proxy, set it, or every
   * client counts as the proxy's address. `Infinity` for no limit.
   */
  maxAnonymousConnectionsPerAddress?: number;
  /** The user a request belongs to. Default: `request.user.id`, else `request.user.sub`. */
  userIdOf?: (request: SseRequest) => string | number | undefined | null;
  /**
   * The session a request belongs to, for `SseHub.revoke({ sessionId })`
   * ("sign out this device" on every instance). Default: `request.user.sid`
   * (the OpenID Connect session id claim), else `request.user.sessionId`.
   */
  sessionIdOf?: (request: SseRequest) => string | number | undefined | null;
  /** Name of the event sent when a `Last-Event-ID` cannot be resumed without a gap. Default `'sse-reset'`. */
  resetEventName?: string;
}

/** Options of `SseModule.forRoot()` / `forRootAsync()`. */
export interface SseModuleOptions extends SseStreamOptions, SseHubOptions {
  /** Stream authentication, used by `SseAuthGuard` (token sources, verifier, channel authorization). */
  auth?: SseAuthOptions;
}

/** A class that `forRootAsync({ useClass })` instantiates to get the options. */
export interface SseOptionsFactory {
  createSseOptions(): SseModuleOptions | Promise<SseModuleOptions>;
}
