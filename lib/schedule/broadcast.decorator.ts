import type { BroadcastOptions } from './sse-schedule.interface.js';
import { assertChannelName } from '../hub/sse-channel-name.error.js';
import { SSE_BROADCAST_METADATA } from '../sse.constants.js';
import { SSE_MESSAGES } from '../sse.messages.js';
import { boundBroadcast } from './broadcast-bindings.js';

/** What `@Broadcast()` stores on the method. */
export interface BroadcastMetadata {
  channel: string;
  skipWhenIdle: boolean;
}

type Method = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Publishes what a scheduled method returns to `channel`. Put it on a method
 * that `@nestjs/schedule` runs (`@Interval()`, `@Cron()` or `@Timeout()`, in
 * either order); what the method returns is published with
 * `SseHub.publish(channel, ...)`: a value (the data of a plain message), an
 * `sseEvent(...)`, a Promise of either, or an Observable of several.
 * `undefined`/`null` publishes nothing.
 *
 * Each run goes through the schedule lock (one instance runs each tick with
 * the module option `scheduleLock`), never overlaps the previous one (the tick is
 * skipped), and logs a failure with the job's name without stopping the job.
 * Nothing runs once the app begins to shut down.
 *
 * @example
 * \@Injectable()
 * export class PricesJob {
 *   constructor(private readonly prices: PricesService) {}
 *
 *   \@Interval(5000)
 *   \@Broadcast('prices', { skipWhenIdle: true })
 *   latest() {
 *     return this.prices.latest(); // a Promise: its value is published
 *   }
 * }
 *
 * The method is wrapped when the class is defined (every metadata key of the
 * method is carried over, so the decorators of `@nestjs/schedule` find theirs
 * whichever order they are written in); `SseModule` binds it to the hub when
 * the app starts. Called on an instance the app did not create, the method
 * just returns what it returns, which keeps it easy to unit-test. Called on
 * the app's instance, a call runs one tick and resolves when it has ended.
 */
export function Broadcast(channel: string, options: BroadcastOptions = {}): MethodDecorator {
  assertChannelName(channel);
  const metadata: BroadcastMetadata = { channel, skipWhenIdle: options.skipWhenIdle ?? false };
  return (target, key, descriptor) => {
    const owner = typeof target === 'function' ? target.name : target.constructor.name;
    const where = `${owner}.${String(key)}`;
    const original = descriptor.value as unknown;
    if (typeof original !== 'function') throw new TypeError(SSE_MESSAGES.broadcastNotOnMethod(where));
    if (Reflect.hasOwnMetadata(SSE_BROADCAST_METADATA, original))
      throw new TypeError(SSE_MESSAGES.broadcastTwice(where));
    const method = original as Method;
    const broadcasting = function (this: unknown, ...args: unknown[]): unknown {
      const job = boundBroadcast(this, key);
      return job ? job.tick(() => method.apply(this, args)) : method.apply(this, args);
    };
    for (const metadataKey of Reflect.getOwnMetadataKeys(method)) {
      Reflect.defineMetadata(metadataKey, Reflect.getOwnMetadata(metadataKey, method), broadcasting);
    }
    Reflect.defineMetadata(SSE_BROADCAST_METADATA, metadata, broadcasting);
    Object.defineProperty(broadcasting, 'name', { value: method.name });
    Object.defineProperty(broadcasting, 'length', { value: method.length });
    (descriptor as PropertyDescriptor).value = broadcasting;
    return descriptor;
  };
}
