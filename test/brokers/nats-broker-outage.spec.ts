import { Logger } from '@nestjs/common';
import { SseBrokerUnavailableError } from 'nestjs-event-stream/broker';
import {
  NatsSseBroker,
  NatsSseScheduleLock,
  NatsSseUnavailableError,
  type NatsSseBrokerOptions,
} from 'nestjs-event-stream/nats';
import { CaptureLogger } from '../utils/capture-logger.js';
import { NatsServer, randomNamespace, watchNatsHandles } from '../utils/nats.js';
import { eventually, Inbox, readAll } from './broker-inbox.js';

/** Outages, on a private nats-server (with JetStream, its store kept across restarts) that the tests stop and start again. */
describe('NatsSseBroker when the link to NATS drops', () => {
  const open: NatsSseBroker[] = [];
  const logs = new CaptureLogger();
  let server: NatsServer;

  beforeAll(async () => {
    Logger.overrideLogger(logs);
    server = await NatsServer.start();
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((broker) => broker.close()));
    await server.start();
  });

  afterAll(() => server.stop());

  function broker(options: NatsSseBrokerOptions = {}): NatsSseBroker {
    const made = new NatsSseBroker({ servers: server.url, reconnectDelayMs: 50, ...options });
    open.push(made);
    return made;
  }

  async function connected(options: NatsSseBrokerOptions): Promise<{ broker: NatsSseBroker; inbox: Inbox }> {
    const made = broker(options);
    const inbox = new Inbox(made);
    await made.connect();
    return { broker: made, inbox };
  }

  const unavailable = (error: unknown) => error instanceof NatsSseUnavailableError;

  it('refuses every call at once with a 503 that names no server, then restarts its consumer and reports a gap from which history has what was missed, logging once each way', async () => {
    const namespace = randomNamespace('outage');
    const listener = await connected({ namespace });
    const publisher = await connected({ namespace });
    const lock = new NatsSseScheduleLock(publisher.broker);
    await listener.broker.subscribe('live');
    const first = await publisher.broker.publish('live', '1');
    await listener.inbox.until(() => listener.inbox.seqs('live').includes(first.seq), 'the first event');
    expect(await lock.acquire('job', 'before', 1000)).toBe(true);

    logs.clear();
    await server.stop();
    const stopped = Date.now();
    // A publish under way when the connection goes is refused then too, without waiting for its timeout.
    const first503 = await eventually<unknown>(
      () => publisher.broker.publish('live', 'lost'),
      unavailable,
      'publish to reject',
    );
    expect(Date.now() - stopped).toBeLessThan(1000);
    if ((first503 as NatsSseUnavailableError).maybePublished) {
      expect((first503 as Error).message).toBe(
        'Service temporarily unavailable: the event may have been published. Retry in 5 seconds.',
      );
    }
    await eventually(
      async () => publisher.broker.status().state,
      (state) => state === 'down',
      'the publisher to see the outage',
    );
    const error = await publisher.broker.publish('live', 'lost').catch((e: unknown) => e);
    // The details are for logs; the message (what an HTTP client is told) names no server.
    expect((error as NatsSseUnavailableError).detail).toMatch(
      /^NatsSseBroker: NATS at 127\.0\.0\.1:\d+ is unavailable \(.+\); could not publish to channel "live"\./,
    );
    expect((error as Error).message).toBe('Service temporarily unavailable: nothing was sent. Retry in 5 seconds.');
    expect((error as NatsSseUnavailableError).getStatus()).toBe(503);
    expect((error as NatsSseUnavailableError).maybePublished).toBe(false);
    expect(error).toBeInstanceOf(SseBrokerUnavailableError);
    expect((error as Error).name).toBe('NatsSseUnavailableError');
    // Every other call is refused at once too, and the state says why.
    const calls: (() => Promise<unknown>)[] = [
      () => publisher.broker.send({ type: 'broadcast', payload: 'x' }),
      () => publisher.broker.read(['live'], first, 10),
      () => publisher.broker.head(),
      () => publisher.broker.subscribe('other'),
      () => lock.acquire('job', 'during', 1000),
    ];
    for (const call of calls) {
      const started = Date.now();
      expect(unavailable(await call().catch((e: unknown) => e))).toBe(true);
      expect(Date.now() - started).toBeLessThan(100);
    }
    const down = await eventually(
      async () => listener.broker.status(),
      (status) => status.state === 'down',
      'the listener to see the outage',
    );
    expect(down.detail).toMatch(
      /^NATS at 127\.0\.0\.1:\d+ is unreachable \(.+\): joins, resumes and publishes fail with 503/,
    );

    await server.start();
    // The first publish accepted after the restart may beat the listener's resync: its catch-up must not lose it.
    const recovered = await eventually(
      () => publisher.broker.publish('live', '2'),
      (position) => typeof (position as { seq?: unknown }).seq === 'number',
      'publish to succeed again',
    );
    await listener.inbox.until(() => listener.inbox.gaps().length === 1, 'the gap');
    // JetStream kept its data: the same epoch, resumed from what the listener had received.
    expect(listener.inbox.gaps()[0].after).toEqual(first);
    expect(recovered.epoch).toBe(first.epoch);
    const fromHistory = await readAll(listener.broker, ['live'], first, 100);
    expect(fromHistory.seqs).toContain(recovered.seq);
    // Besides it, only a publish that was under way when the server went, and that the client sent again once back.
    expect(fromHistory.payloads.filter((payload) => payload !== 'lost')).toEqual(['2']);
    const third = await publisher.broker.publish('live', '3');
    await listener.inbox.until(() => listener.inbox.seqs('live').includes(third.seq), 'an event after recovery');
    // The gap came before anything received after the reconnection, and nothing came twice.
    const gapIndex = listener.inbox.messages.findIndex((m) => m.type === 'gap');
    const thirdIndex = listener.inbox.messages.findIndex((m) => m.type === 'channel' && m.seq === third.seq);
    expect(gapIndex).toBeLessThan(thirdIndex);
    const live = listener.inbox.seqs('live');
    expect(new Set(live).size).toBe(live.length);
    await eventually(
      async () => [listener, publisher].map(({ broker: b }) => b.status().state).join(),
      (states) => states === 'up,up',
      'both to be up',
    );
    expect(await lock.acquire('job', 'after', 1000)).toBe(true);
    // Each broker said once that the connection was lost and once that it is back, whatever was tried meanwhile.
    expect(logs.messages('warn', 'No connection to NATS at 127.0.0.1')).toHaveLength(2);
    expect(logs.messages('log', 'Reconnected to NATS at 127.0.0.1')).toHaveLength(2);
    // Besides, the details of the refused calls: once per reason, not once per attempt.
    const refusals = logs.messages('warn', 'are answered 503');
    expect(new Set(refusals).size).toBe(refusals.length);
    expect(refusals.length).toBeLessThanOrEqual(8);
  });

  it('starts without NATS after connectTimeoutMs, says down meanwhile, and comes up once NATS is there', async () => {
    await server.stop();
    const late = broker({ namespace: randomNamespace('late'), connectTimeoutMs: 200 });
    const inbox = new Inbox(late);
    const started = Date.now();
    await late.connect();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(logs.messages('warn', 'did not answer within 200 ms; the app starts without it').length).toBeGreaterThan(0);
    expect(late.status()).toMatchObject({ state: 'down', detail: expect.stringMatching(/^Connecting to NATS at/) });
    expect(unavailable(await late.publish('a', 'x').catch((e: unknown) => e))).toBe(true);

    await server.start();
    await eventually(
      async () => late.status().state,
      (state) => state === 'up',
      'the broker to be up',
    );
    await late.subscribe('a');
    const position = await late.publish('a', 'x');
    await inbox.until(() => inbox.seqs('a').includes(position.seq), 'the event');
    expect(inbox.gaps()).toEqual([]);
  });

  it('closes at once during an outage, leaving no socket or timer behind', async () => {
    const watch = watchNatsHandles();
    const { broker: down } = await connected({
      namespace: randomNamespace('close'),
      // The nats client's wait between two attempts to reconnect: it cannot be cancelled, and ends by itself.
      reconnectDelayMs: 50,
      natsOptions: { reconnectJitter: 0 },
    });
    await down.subscribe('a');
    await server.stop();
    await eventually(
      async () => down.status().state,
      (state) => state === 'down',
      'the broker to see the outage',
    );
    const started = Date.now();
    await down.close();
    expect(Date.now() - started).toBeLessThan(500);
    // What is left is the nats client's wait before its next attempt (50 ms), after which it sees it is closed.
    await eventually(
      async () => watch.alive(),
      (alive) => Object.keys(alive).length === 0,
      "the nats client's last wait to end",
      2000,
    );
    expect(await watch.stop()).toEqual({});
  });
});
