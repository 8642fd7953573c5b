import { Controller, Injectable, Query, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { NEVER } from 'rxjs';
import {
  EventStream,
  InMemorySseAdapter,
  SseClient,
  SseHub,
  type SseHubAdapter,
  type SseHubMessage,
  type SseReplay,
  type SseRequest,
} from '../../../lib/index.js';

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

/** An adapter that hands every call to an in-memory one: extend it to observe or slow down what the hub asks. */
export class DelegatingAdapter implements SseHubAdapter {
  constructor(protected readonly inner: SseHubAdapter = new InMemorySseAdapter()) {}

  connect(deliver: (message: SseHubMessage) => void): Promise<void> | void {
    return this.inner.connect(deliver);
  }
  publish(channel: string, body: string, except?: string): Promise<string> | string {
    return this.inner.publish(channel, body, except);
  }
  send(message: Exclude<SseHubMessage, { type: 'channel' }>): Promise<void> | void {
    return this.inner.send(message);
  }
  subscribe(channel: string): Promise<void> | void {
    return this.inner.subscribe(channel);
  }
  unsubscribe(channel: string): Promise<void> | void {
    return this.inner.unsubscribe(channel);
  }
  replay(channels: readonly string[], after: { epoch: string; seq: number }): Promise<SseReplay> | SseReplay {
    return this.inner.replay(channels, after);
  }
  close(): Promise<void> | void {
    return this.inner.close();
  }
}
