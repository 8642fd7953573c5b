import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { SseBrokerStatus } from '../brokers/sse-broker.interface.js';
import { SseHub } from '../hub/sse-hub.js';
import { TERMINUS_MESSAGES } from './terminus.messages.js';

/** The details of a readiness result: the broker's link and this instance's streams. */
export type SseReadinessDetails = {
  /** The broker's state: `up`, `down` or `resyncing` (see `SseBrokerStatus`). */
  broker: SseBrokerStatus['state'];
  /**
   * Why, when it is not `up` (e.g. the last connection error): never a
   * password, but it names the broker's host and port. Left out with
   * `{ detail: false }` (for a route that is public).
   */
  detail?: string;
  /** When the broker's state last changed (ISO 8601), if the broker says. */
  since?: string;
  /** Open streams of this instance. */
  connections: number;
  /** Channels with at least one stream of this instance. */
  channels: number;
  /** Set while the app shuts down. */
  shuttingDown?: true;
  /** Why the check is down, in words. */
  message?: string;
};

/** Options of `SseHealthIndicator.isReady()`. */
export interface SseReadinessOptions {
  /** Put the broker's `detail` (it names the host of Redis and its last error) in the result: default `true`. */
  detail?: boolean;
}

/** The ISO 8601 text of `since`, if it is a valid time (a broker's `status()` may return anything). */
function isoTime(since: unknown): string | undefined {
  if (typeof since !== 'number' || !Number.isFinite(since)) return undefined;
  const date = new Date(since);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * Health checks of the event streams for `@nestjs/terminus` (an optional
 * peer: this entry point, `nestjs-event-stream/terminus`, is the only one
 * that imports it).
 *
 * - `isReady()` is **down** while the broker is down (on Redis: the link is
 *   lost, so joins, resumes and publishes would fail with 503) or the app is
 *   shutting down; **up** otherwise, `resyncing` included (joins are served,
 *   streams are being caught up). Wire it to a readiness probe: the load
 *   balancer stops sending new streams to this instance while it cannot serve
 *   them, and sends them again once it can.
 * - `isLive()` is **up** whenever the process can answer, whatever the
 *   broker: a Redis blip must not make an orchestrator restart every
 *   instance at once (their open streams would all reconnect together).
 *
 * Both read `SseHub.stats()`: cheap and synchronous, fine for frequent probes.
 *
 * ```ts
 * import { Controller, Get, Module } from '@nestjs/common';
 * import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
 * import { SseModule } from 'nestjs-event-stream';
 * import { SseHealthIndicator, SseTerminusModule } from 'nestjs-event-stream/terminus';
 *
 * @Controller('health')
 * export class HealthController {
 *   constructor(
 *     private readonly health: HealthCheckService,
 *     private readonly sse: SseHealthIndicator,
 *   ) {}
 *
 *   @Get('ready')
 *   @HealthCheck()
 *   ready() {
 *     return this.health.check([() => this.sse.isReady()]);
 *   }
 *
 *   @Get('live')
 *   @HealthCheck()
 *   live() {
 *     return this.health.check([() => this.sse.isLive()]);
 *   }
 * }
 *
 * @Module({ imports: [SseModule.forRoot(), SseTerminusModule], controllers: [HealthController] })
 * export class AppModule {}
 * ```
 *
 * `GET /health/ready` then answers 200 with
 * `{ status: 'ok', info: { sse: { status: 'up', broker: 'up', connections: 3, channels: 2 } }, ... }`,
 * and 503 with `error: { sse: { status: 'down', broker: 'down', detail: '...', ... } }` while Redis is away.
 */
@Injectable()
export class SseHealthIndicator implements OnModuleDestroy {
  private shuttingDown = false;

  constructor(
    private readonly hub: SseHub,
    private readonly health: HealthIndicatorService,
  ) {}

  /**
   * Whether this instance can serve new streams: down while the broker is
   * down or the app is shutting down. Details: the broker's state (with its
   * detail, unless `{ detail: false }`, and since when), open streams and
   * channels. A broker whose `status()` throws is reported down.
   */
  isReady<const Key extends string = 'sse'>(
    key: Key = 'sse' as Key,
    options: SseReadinessOptions = {},
  ): HealthIndicatorResult<Key> {
    const check = this.health.check(key);
    // stats() never throws: a broker status() that does counts as down (with its message).
    const stats = this.hub.stats();
    const broker = stats.brokerStatus;
    const since = isoTime(broker.since);
    const details: SseReadinessDetails = {
      broker: broker.state,
      ...(broker.detail !== undefined && options.detail !== false && { detail: broker.detail }),
      ...(since !== undefined && { since }),
      connections: stats.connections,
      channels: stats.channels,
    };
    if (this.shuttingDown)
      return check.down({ ...details, shuttingDown: true, message: TERMINUS_MESSAGES.shuttingDown() });
    if (broker.state === 'down') return check.down({ ...details, message: TERMINUS_MESSAGES.brokerDown() });
    return check.up(details);
  }

  /** Whether the process answers: always up (details: open streams), never tied to the broker. */
  isLive<const Key extends string = 'sse'>(key: Key = 'sse' as Key): HealthIndicatorResult<Key> {
    return this.health.check(key).up({ connections: this.hub.stats().connections });
  }

  /**
   * The app is closing: readiness goes down first, before streams are ended
   * (Nest runs every `onModuleDestroy` before `beforeApplicationShutdown`, on
   * `app.close()` and on a shutdown signal alike).
   */
  onModuleDestroy(): void {
    this.shuttingDown = true;
  }
}
