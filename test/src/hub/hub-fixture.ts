import { Controller, Injectable, Query, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { NEVER, Subject, filter, merge, switchMap, take } from 'rxjs';
import type { Observable } from 'rxjs';
import { EventStream, SseClient, SseHub, type SseRequest } from '../../../lib/index.js';
import {
  InMemorySseBroker,
  type SseBroker,
  type SseBrokerContext,
  type SseBrokerMessage,
  type SseBrokerPosition,
  type SseBrokerPublishOptions,
  type SseBrokerSentMessage,
  type SseHistoryPage,
} from '../../../lib/broker.js';

/**
 * Stands in for an auth guard: `x-user-id` sets `request.user.id`,
 * `x-user-sub` sets `request.user.sub` (what a JWT strategy leaves).
 */
@Injectable()
export class UserFromHeaderGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<SseRequest>();
    const id = request.headers['x-user-id'];
    const sub = request.headers['x-user-sub'];
    if (typeof id === 'string') request.user = { id };
    else if (typeof sub === 'string') request.user = { sub };
    return true;
  }
}

/** `GET /hub/stream?channels=a,b` joins the stream to those channels; `GET /hub/plain` is a stream outside the hub. */
@Controller('hub')
@UseGuards(UserFromHeaderGuard)
export class HubController {
  constructor(private readonly hub: SseHub) {}

  @EventStream('stream')
  stream(@Query('channels') channels: string | undefined, @SseClient() client: SseClient) {
    return this.hub.join(client, (channels ?? '').split(','));
  }

  @EventStream('plain')
  plain() {
    return NEVER;
  }
}

/** Tags of the `GET /hub/later` streams that are to make their later join now. */
export const laterJoins = new Subject<string>();

/**
 * Streams that join in steps. `GET /hub/together?channels=a,b` joins each
 * channel with its own `join()`, in one turn; `GET /hub/later?first=a&later=b`
 * joins `first`, then `later` once the test calls `laterJoins.next(tag)` with
 * the stream's `x-test-tag`.
 */
@Controller('hub')
export class StagedJoinsController {
  constructor(private readonly hub: SseHub) {}

  @EventStream('together')
  together(@Query('channels') channels: string, @SseClient() client: SseClient) {
    return merge(...channels.split(',').map((channel) => this.hub.join(client, channel)));
  }

  @EventStream('later')
  later(@Query('first') first: string, @Query('later') later: string, @SseClient() client: SseClient) {
    const tag = client.request.headers['x-test-tag'];
    const joinLater = laterJoins.pipe(
      filter((called) => called === tag),
      take(1),
      switchMap(() => this.hub.join(client, later)),
    );
    return merge(this.hub.join(client, first), joinLater);
  }
}

/** The URL of a stream joined to `channels`. */
export function streamUrl(base: string, channels: readonly string[], query = ''): string {
  return `${base}/hub/stream?channels=${encodeURIComponent(channels.join(','))}${query}`;
}

/** Headers that tag a request, so that a test can find its connection with {@link connectionOf}. */
export function tagged(tag: string, headers: Record<string, string> = {}): Record<string, string> {
  return { ...headers, 'x-test-tag': tag };
}

/** The open connection whose request was tagged with `tag`. */
export function connectionOf(hub: SseHub, tag: string): SseClient {
  const [connection] = hub.connections((client) => client.request.headers['x-test-tag'] === tag);
  if (!connection) throw new Error(`no open connection tagged ${tag}`);
  return connection;
}

/** A broker that hands every call to an in-memory one: extend it to observe or slow down what the hub asks. */
export class DelegatingBroker implements SseBroker {
  constructor(protected readonly inner: SseBroker = new InMemorySseBroker()) {}

  get messages$(): Observable<SseBrokerMessage> {
    return this.inner.messages$;
  }
  connect(context?: SseBrokerContext): Promise<void> | void {
    return this.inner.connect(context);
  }
  publish(
    channel: string,
    payload: string,
    options?: SseBrokerPublishOptions,
  ): Promise<SseBrokerPosition> | SseBrokerPosition {
    return this.inner.publish(channel, payload, options);
  }
  send(message: SseBrokerSentMessage): Promise<void> | void {
    return this.inner.send(message);
  }
  subscribe(channel: string): Promise<void> | void {
    return this.inner.subscribe(channel);
  }
  unsubscribe(channel: string): Promise<void> | void {
    return this.inner.unsubscribe(channel);
  }
  head(): Promise<SseBrokerPosition> | SseBrokerPosition {
    return this.inner.head();
  }
  read(channels: readonly string[], after: SseBrokerPosition, limit: number): Promise<SseHistoryPage> | SseHistoryPage {
    return this.inner.read(channels, after, limit);
  }
  close(): Promise<void> | void {
    return this.inner.close();
  }
}
