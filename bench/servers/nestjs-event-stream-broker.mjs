/**
 * One instance of the cross-instance broker bench (bench/brokers.mjs): the
 * nestjs-event-stream bench app with its hub on the broker that
 * BENCH_BROKER_URL names (redis://, postgres://, nats://), in the namespace
 * BENCH_NAMESPACE. A Redis URL may be any node of a Redis Cluster (detected).
 * Runs against the built package (dist/). Skipped when the server does not answer.
 */
import { probeBrokerServer } from '../lib/broker-servers.mjs';
import { startNestjsSseServer } from './nestjs-event-stream-app.mjs';

const url = process.env.BENCH_BROKER_URL ?? '';
const namespace = process.env.BENCH_NAMESPACE ?? 'bench';
const scheme = /^([a-z]+):/.exec(url)?.[1];
// The burst sends 2,000 publishes at once: on PostgreSQL (publishes of a namespace serialised, a few
// hundred a second here) the last ones wait past the default 5 s. The bench measures delivery, not refusals.
const commandTimeoutMs = 60_000;

async function brokerOptions(kit) {
  if (url !== '') {
    try {
      await probeBrokerServer(url);
    } catch (error) {
      kit.skip(`no server answers at ${url} (${error?.message ?? error})`);
      return null;
    }
  }
  if (scheme === 'redis') {
    const { RedisSseBroker } = await import('../../dist/brokers/redis/index.js');
    return {
      broker: new RedisSseBroker({
        url,
        cluster: 'auto',
        keyPrefix: `${namespace}:`,
        statsIntervalMs: 0,
        commandTimeoutMs,
      }),
    };
  }
  if (scheme === 'postgres') {
    const { PostgresSseBroker } = await import('../../dist/brokers/postgres/index.js');
    return { broker: new PostgresSseBroker({ url, namespace, commandTimeoutMs }) };
  }
  if (scheme === 'nats') {
    const { NatsSseBroker } = await import('../../dist/brokers/nats/index.js');
    return { broker: new NatsSseBroker({ servers: url, namespace, commandTimeoutMs }) };
  }
  if (url === '') return {};
  throw new Error(`BENCH_BROKER_URL=${url}: expected redis://, postgres:// or nats://`);
}

await startNestjsSseServer({ name: `nestjs-event-stream on ${scheme ?? 'memory'}`, moduleOptions: brokerOptions });
