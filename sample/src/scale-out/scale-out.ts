import { Logger } from '@nestjs/common';
import type { SampleScaleOut } from '../app.module.js';
import type { SampleConfig } from '../config/sample-config.js';
import { RedisSignedOutUsers } from '../sessions/redis-signed-out-users.js';

/**
 * What the hub runs on when `SSE_BROKER_URL` (or `SSE_REDIS_URL`) is set:
 * the broker its scheme names and that broker's schedule lock; on Redis also
 * the stream tickets and the users who signed out everywhere, on the broker's
 * connection. Each broker's module is imported only when it is the one asked
 * for, so a run never loads the clients of the others. The files beside this
 * one re-export each entry point with a static `export ... from`, which Nest's
 * CLI rewrites to the built library like any other import of
 * `nestjs-event-stream`. In memory (nothing) when no URL is set.
 */
export async function createScaleOut(config: SampleConfig): Promise<SampleScaleOut> {
  const url = config.brokerUrl;
  if (url === undefined || config.broker === 'memory') return {};
  if (config.broker === 'redis') {
    const { RedisSseBroker, RedisSseScheduleLock, RedisSseTicketStore } = await import('./redis-broker.js');
    // 'auto': given any node of a Redis Cluster (CLUSTER INFO says so), the broker uses the cluster client.
    const broker = new RedisSseBroker({ url, keyPrefix: config.redisPrefix, cluster: 'auto' });
    return {
      broker,
      scheduleLock: new RedisSseScheduleLock(broker),
      ticketStore: new RedisSseTicketStore({ broker }),
      signedOutUsers: new RedisSignedOutUsers(broker),
    };
  }
  warnPerInstance(config.broker);
  if (config.broker === 'postgres') {
    const { PostgresSseBroker, PostgresSseScheduleLock } = await import('./postgres-broker.js');
    const broker = new PostgresSseBroker({ url, namespace: config.namespace });
    return { broker, scheduleLock: new PostgresSseScheduleLock(broker) };
  }
  const { NatsSseBroker, NatsSseScheduleLock } = await import('./nats-broker.js');
  const broker = new NatsSseBroker({ servers: url, namespace: config.namespace });
  return { broker, scheduleLock: new NatsSseScheduleLock(broker) };
}

/** The sample keeps its tickets and sign-outs in Redis only: on the other brokers they stay in each instance. */
function warnPerInstance(broker: 'postgres' | 'nats'): void {
  new Logger('Sample').warn(
    `On the ${broker === 'postgres' ? 'PostgreSQL' : 'NATS'} broker the sample keeps stream tickets and "sign out everywhere" ` +
      'in each instance: behind a load balancer, redeem a ticket on the instance that issued it (or use Redis for them).',
  );
}
