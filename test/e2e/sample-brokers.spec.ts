import { type TestEventStream, openEventStream } from 'nestjs-event-stream/testing';
import { parseSampleConfig, SampleConfigError, type SampleEnv } from '../../sample/src/config/sample-config.js';
import { deleteNamespace, NATS_URL, randomNamespace as natsNamespace } from '../utils/nats.js';
import { deleteNamespaces, POSTGRES_URL, randomNamespace as postgresNamespace } from '../utils/postgres.js';
import { RedisClusterServer } from '../utils/redis-cluster.js';
import { callSample, startSample, type RunningSample } from '../utils/sample-app.js';
import { randomPrefix } from '../utils/redis.js';

const bearer = { authorization: 'Bearer demo-token' };
const BASE: SampleEnv = { TICK_MS: '50', CLOCK_MS: '50', JOB_MS: '300', SSE_TOKENS: 'demo:demo-token' };

describe('the sample configuration of its broker', () => {
  const problemsOf = (env: SampleEnv): string[] => {
    try {
      parseSampleConfig({ ...BASE, ...env });
    } catch (error) {
      expect(error).toBeInstanceOf(SampleConfigError);
      return (error as SampleConfigError).problems;
    }
    return [];
  };

  it('picks the broker by the scheme of SSE_BROKER_URL, and keeps SSE_REDIS_URL for Redis', () => {
    const broker = (env: SampleEnv) => parseSampleConfig({ ...BASE, ...env }).broker;
    expect(broker({})).toBe('memory');
    expect(broker({ SSE_BROKER_URL: 'redis://127.0.0.1:6379' })).toBe('redis');
    expect(broker({ SSE_BROKER_URL: 'rediss://cache.example.com:6380' })).toBe('redis');
    expect(broker({ SSE_REDIS_URL: 'redis://127.0.0.1:6379' })).toBe('redis');
    expect(broker({ SSE_BROKER_URL: 'postgres://app@db/app' })).toBe('postgres');
    expect(broker({ SSE_BROKER_URL: 'postgresql://app@db/app' })).toBe('postgres');
    expect(broker({ SSE_BROKER_URL: 'nats://127.0.0.1:4222' })).toBe('nats');
    expect(parseSampleConfig({ ...BASE, SSE_REDIS_URL: 'redis://h:1' }).brokerUrl).toBe('redis://h:1');
    expect(parseSampleConfig({ ...BASE }).namespace).toBe('sse');
  });

  it('refuses another scheme, two different URLs and a bad namespace, naming each', () => {
    expect(problemsOf({ SSE_BROKER_URL: 'mysql://db/app' })).toEqual([
      'SSE_BROKER_URL: expected a redis://, rediss://, postgres://, postgresql:// or nats:// URL.',
    ]);
    expect(problemsOf({ SSE_BROKER_URL: 'nats://a:4222', SSE_REDIS_URL: 'redis://b:6379' })).toEqual([
      'SSE_REDIS_URL and SSE_BROKER_URL are both set, to different URLs: set SSE_BROKER_URL only.',
    ]);
    expect(problemsOf({ SSE_NAMESPACE: 'Has-Capitals' })).toEqual([
      'SSE_NAMESPACE="Has-Capitals": expected 1 to 32 of a-z 0-9 _.',
    ]);
    expect(problemsOf({ SSE_BROKER_URL: 'redis://same:1', SSE_REDIS_URL: 'redis://same:1' })).toEqual([]);
  });
});

interface BrokerCase {
  name: string;
  broker: string;
  /** The environment of both instances, and what to remove after. */
  setUp(): Promise<{ env: SampleEnv; tearDown(): Promise<void> }>;
}

const CASES: BrokerCase[] = [
  {
    name: 'PostgreSQL',
    broker: 'postgres',
    setUp: async () => {
      const namespace = postgresNamespace('sample');
      return {
        env: { SSE_BROKER_URL: POSTGRES_URL, SSE_NAMESPACE: namespace },
        tearDown: () => deleteNamespaces(POSTGRES_URL, namespace),
      };
    },
  },
  {
    name: 'NATS JetStream',
    broker: 'nats',
    setUp: async () => {
      const namespace = natsNamespace('sample').toLowerCase().replace(/-/g, '_');
      return {
        env: { SSE_BROKER_URL: NATS_URL, SSE_NAMESPACE: namespace },
        tearDown: async () => void (await deleteNamespace(NATS_URL, namespace)),
      };
    },
  },
  {
    name: 'a Redis Cluster, given one node',
    broker: 'redis',
    setUp: async () => {
      const cluster = await RedisClusterServer.start();
      return {
        env: { SSE_BROKER_URL: cluster.url, SSE_REDIS_PREFIX: randomPrefix('sample-cluster') },
        tearDown: () => cluster.stop(),
      };
    },
  },
];

/** Two instances of the sample on each broker: what one publishes, the other's streams get, and replay. */
describe.each(CASES)('the sample app on $name', ({ broker, setUp }) => {
  const instances: RunningSample[] = [];
  const streams: TestEventStream[] = [];
  let tearDown: () => Promise<void> = async () => undefined;
  let a: RunningSample;
  let b: RunningSample;

  async function start(env: SampleEnv): Promise<RunningSample> {
    const sample = await startSample({ ...BASE, ...env });
    instances.push(sample);
    return sample;
  }

  async function post(sample: RunningSample, path: string, text: string): Promise<string> {
    const answer = await callSample(sample, path, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    });
    expect(answer.status).toBe(201);
    return (answer.json() as { id: string }).id;
  }

  beforeAll(async () => {
    const set = await setUp();
    tearDown = set.tearDown;
    a = await start(set.env);
    b = await start(set.env);
  }, 60_000);

  afterAll(async () => {
    streams.forEach((stream) => stream.close());
    await Promise.all(instances.map((instance) => instance.app.close()));
    await tearDown();
  });

  it('says which broker in /health, ready with the broker up', async () => {
    const health = await openEventStream(a.url, '/health');
    await health.ended;
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toMatchObject({
      status: 'ok',
      info: { sse: { status: 'up', broker: 'up' }, hub: { status: 'up', broker } },
    });
  });

  it("delivers a message posted to one instance to the other's streams, and replays it there", async () => {
    const onB = await openEventStream(b.url, '/rooms/brokers/events', { headers: bearer });
    streams.push(onB);
    expect(onB.status).toBe(200);
    const first = await post(a, '/rooms/brokers/messages', 'from A');
    const [event] = await onB.waitForEvents(1);
    expect(event).toMatchObject({ type: 'message', id: first });
    expect(JSON.parse(event.data)).toMatchObject({ room: 'brokers', text: 'from A', user: 'demo' });

    const second = await post(b, '/rooms/brokers/messages', 'from B');
    const resumed = await openEventStream(a.url, '/rooms/brokers/events', {
      headers: { ...bearer, 'last-event-id': first },
    });
    streams.push(resumed);
    const [replayed] = await resumed.waitForEvents(1);
    expect(replayed).toMatchObject({ id: second });
    expect(JSON.parse(replayed.data).text).toBe('from B');
  });
});
