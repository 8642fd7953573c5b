/**
 * The broker and schedule lock of one app instance, picked by the scheme of
 * `SSE_BROKER_URL` (redis://, postgres://, nats://), each loaded only when
 * asked for. `SSE_NAMESPACE` names the namespace (a Redis key prefix with a
 * colon added), `SSE_BROKER_RETRY_MS` how soon a lost link is retried.
 */
import type { SseBroker, SseScheduleLock } from '../../../lib/index.js';

export interface InstanceScaleOut {
  broker: SseBroker;
  scheduleLock: SseScheduleLock;
}

export async function scaleOutFrom(env: NodeJS.ProcessEnv): Promise<InstanceScaleOut> {
  const url = env.SSE_BROKER_URL ?? '';
  const namespace = env.SSE_NAMESPACE ?? 'sse';
  const retryMs = Number(env.SSE_BROKER_RETRY_MS ?? 100);
  const scheme = /^([a-z]+):/.exec(url)?.[1];
  if (scheme === 'redis') {
    const { RedisSseBroker, RedisSseScheduleLock } = await import('../../../lib/brokers/redis/index.js');
    const broker = new RedisSseBroker({
      url,
      cluster: 'auto',
      keyPrefix: `${namespace}:`,
      redisOptions: { retryStrategy: () => retryMs },
      statsIntervalMs: 0,
    });
    return { broker, scheduleLock: new RedisSseScheduleLock(broker) };
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    const { PostgresSseBroker, PostgresSseScheduleLock } = await import('../../../lib/brokers/postgres/index.js');
    const broker = new PostgresSseBroker({ url, namespace, reconnectDelayMs: retryMs });
    return { broker, scheduleLock: new PostgresSseScheduleLock(broker) };
  }
  if (scheme === 'nats') {
    const { NatsSseBroker, NatsSseScheduleLock } = await import('../../../lib/brokers/nats/index.js');
    const broker = new NatsSseBroker({ servers: url, namespace, reconnectDelayMs: retryMs });
    return { broker, scheduleLock: new NatsSseScheduleLock(broker) };
  }
  throw new Error(`SSE_BROKER_URL=${JSON.stringify(url)}: expected a redis://, postgres:// or nats:// URL.`);
}
