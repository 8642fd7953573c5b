import { type TestEventStream, openEventStream } from 'nestjs-event-stream/testing';
import { SseFrameError, SseHub, sseEvent, type SseSerializer } from '../../lib/index.js';
import { HubController, connectionOf, streamUrl, tagged } from '../src/hub/hub-fixture.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { startApp, type TestApp } from '../utils/test-app.js';
import { runBounded } from '../utils/wait.js';

describe('SseHub delivery', () => {
  let server: TestApp;
  let hub: SseHub;
  const streams: TestEventStream[] = [];

  async function open(channels: string[], headers: Record<string, string> = {}): Promise<TestEventStream> {
    const stream = await openEventStream(server.app, streamUrl('', channels), { headers });
    streams.push(stream);
    expect(stream.status).toBe(200);
    return stream;
  }

  async function openPlain(headers: Record<string, string> = {}): Promise<TestEventStream> {
    const stream = await openEventStream(server.app, `/hub/plain`, { headers });
    streams.push(stream);
    return stream;
  }

  /** Delivery to one stream is ordered: once a marker sent after everything else arrived, nothing else is on its way. */
  async function settle(stream: TestEventStream, tag: string): Promise<void> {
    await hub.sendTo(connectionOf(hub, tag).id, sseEvent({ event: 'marker', data: '' }));
    await stream.waitForText((text) => text.includes('event: marker\n'));
  }

  const dataOf = (stream: TestEventStream) => stream.events.filter((e) => e.type !== 'marker').map((e) => e.data);

  beforeAll(async () => {
    server = await startApp({ controllers: [HubController] });
    hub = server.app.get(SseHub);
  });
  afterEach(() => streams.splice(0).forEach((stream) => stream.close()));
  afterAll(() => server.close());

  it('carries several channels on one stream and nothing of the channels it did not join', async () => {
    const stream = await open(['room:1', 'news'], tagged('multi'));
    const first = await hub.publish('room:1', 'in room 1');
    const second = await hub.publish('room:2', 'in room 2');
    const third = await hub.publish('news', 'news');
    await stream.waitForEvents(2);
    await settle(stream, 'multi');
    expect(stream.events.filter((e) => e.type !== 'marker').map((e) => [e.id, e.data])).toEqual([
      [first, 'in room 1'],
      [third, 'news'],
    ]);
    expect(second).not.toBe(first);
  });

  it('delivers an event published as soon as the client has the response headers', async () => {
    // openEventStream resolves on the response headers: the stream must already be joined then.
    for (let i = 0; i < 20; i++) {
      const stream = await open([`fresh:${i}`]);
      const id = await hub.publish(`fresh:${i}`, `first ${i}`);
      const [event] = await stream.waitForEvents(1);
      expect(event).toMatchObject({ id, data: `first ${i}` });
      stream.close();
    }
    const stream = await open(['fresh:broadcast']);
    await hub.broadcast('to everyone');
    const [event] = await stream.waitForEvents(1);
    expect(event.data).toBe('to everyone');
  });

  it('writes an sseEvent() envelope as it is, and any other value as the data of a message, whatever its keys', async () => {
    const stream = await open(['shapes'], tagged('shapes'));
    await hub.publish('shapes', sseEvent({ event: 'chat', data: { text: 'hi' }, comment: 'note' }));
    await hub.publish('shapes', { event: 'forged', data: 'x', id: 'mine', retry: 1 });
    await hub.publish('shapes', 'line one\nline two');
    for (const value of [0, false, '', null]) await hub.publish('shapes', value);
    await settle(stream, 'shapes');
    const events = stream.events.filter((e) => e.type !== 'marker');
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['chat', '{"text":"hi"}'],
      ['message', '{"event":"forged","data":"x","id":"mine","retry":1}'],
      ['message', 'line one\nline two'],
      ['message', '0'],
      ['message', 'false'],
      ['message', ''],
      ['message', 'null'],
    ]);
    // A 'message' type with no `event:` line: no line could have made it one (`event:`, `event: message`).
    expect(stream.text).not.toMatch(/^event: ?(message)?$/m);
    expect(stream.text).toContain(': note\n');
    // One retry hint, the first frame: retryMs (3000) ± retryJitter (0.2).
    expect(stream.retries).toHaveLength(1);
    expect(stream.retries[0]).toBeGreaterThanOrEqual(2400);
    expect(stream.retries[0]).toBeLessThanOrEqual(3600);
  });

  it('refuses an envelope that brings its own id, and one that cannot be framed, writing nothing', async () => {
    const stream = await open(['strict'], tagged('strict'));
    const before = hub.stats().eventsPublished;
    await expect(hub.publish('strict', sseEvent({ id: 7, data: 'x' }))).rejects.toThrow(
      'SseHub assigns event ids itself; remove `id`',
    );
    await expect(hub.publish('strict', sseEvent({ event: 'a\nevent: forged', data: 'x' }))).rejects.toBeInstanceOf(
      SseFrameError,
    );
    await expect(hub.broadcast(sseEvent({ id: 1, data: 'x' }))).rejects.toThrow('SseHub assigns event ids itself');
    await expect(hub.sendToUser('u', sseEvent({ event: 'open', data: 'x' }))).rejects.toBeInstanceOf(SseFrameError);
    expect(hub.stats().eventsPublished).toBe(before);
    await settle(stream, 'strict');
    expect(dataOf(stream)).toEqual([]);
  });

  it('refuses an invalid channel name when publishing, with a message naming it', async () => {
    await expect(hub.publish('no spaces', 'x')).rejects.toThrow(
      'Invalid SSE channel name "no spaces": use 1 to 200 letters, digits or -_.:/@ characters.',
    );
    await expect(hub.publish('', 'x')).rejects.toThrow('Invalid SSE channel name ""');
  });

  it('skips the sender given by its client or its connection id', async () => {
    const sender = await open(['chat'], tagged('sender'));
    const other = await open(['chat'], tagged('other'));
    const senderClient = connectionOf(hub, 'sender');
    await hub.publish('chat', 'by client', { except: senderClient });
    await hub.publish('chat', 'by id', { except: senderClient.id });
    await hub.publish('chat', 'to all');
    await hub.broadcast('broadcast, not to the sender', { except: senderClient });
    await other.waitForEvents(4);
    await settle(sender, 'sender');
    await settle(other, 'other');
    expect(dataOf(sender)).toEqual(['to all']);
    expect(dataOf(other)).toEqual(['by client', 'by id', 'to all', 'broadcast, not to the sender']);
  });

  it('broadcasts to every open stream, joined or not, without an id', async () => {
    const joined = await open(['somewhere'], tagged('joined'));
    const plain = await openPlain(tagged('plain'));
    await hub.broadcast(sseEvent({ event: 'notice', data: 'maintenance' }));
    const [a] = await joined.waitForEvents(1);
    const [b] = await plain.waitForEvents(1);
    for (const event of [a, b])
      expect([event.type, event.data, event.id]).toEqual(['notice', 'maintenance', undefined]);
  });

  it('sends to one connection, wherever it is joined', async () => {
    const target = await open(['x'], tagged('target'));
    const bystander = await open(['x'], tagged('bystander'));
    await hub.sendTo(connectionOf(hub, 'target').id, 'just you');
    await hub.sendTo('no-such-connection', 'nobody');
    const [event] = await target.waitForEvents(1);
    expect(event.data).toBe('just you');
    await settle(bystander, 'bystander');
    expect(dataOf(bystander)).toEqual([]);
  });

  it('sends to every tab of a user, from request.user.id or request.user.sub, except the sender', async () => {
    const tab1 = await open(['t'], tagged('tab1', { 'x-user-id': 'alice' }));
    const tab2 = await open(['t'], tagged('tab2', { 'x-user-id': 'alice' }));
    const jwt = await open(['t'], tagged('jwt', { 'x-user-sub': 'bob' }));
    const anonymous = await open(['t'], tagged('anonymous'));
    const plainTab = await openPlain(tagged('plain-tab', { 'x-user-id': 'alice' }));
    await hub.sendToUser('alice', 'for alice');
    await hub.sendToUser('alice', 'for the other tabs', { except: connectionOf(hub, 'tab1') });
    await hub.sendToUser('bob', 'for bob');
    await hub.sendToUser('carol', 'for nobody');
    await tab2.waitForEvents(2);
    for (const [stream, tag] of [
      [tab1, 'tab1'],
      [tab2, 'tab2'],
      [jwt, 'jwt'],
      [anonymous, 'anonymous'],
      [plainTab, 'plain-tab'],
    ] as const) {
      await settle(stream, tag);
    }
    expect(dataOf(tab1)).toEqual(['for alice']);
    expect(dataOf(tab2)).toEqual(['for alice', 'for the other tabs']);
    expect(dataOf(plainTab)).toEqual(['for alice', 'for the other tabs']);
    expect(dataOf(jwt)).toEqual(['for bob']);
    expect(dataOf(anonymous)).toEqual([]);
    expect(hub.connections({ userId: 'alice' })).toHaveLength(3);
  });
});

describe('SseHub with a userIdOf option', () => {
  let server: TestApp;
  afterAll(() => server.close());

  it('finds the user of a stream with the userIdOf option', async () => {
    server = await startApp(
      { controllers: [HubController] },
      { userIdOf: (request) => request.headers['x-tenant-user'] as string | undefined },
    );
    const hub = server.app.get(SseHub);
    const stream = await openEventStream(server.app, streamUrl('', ['t']), {
      headers: { 'x-tenant-user': 't-9', 'x-user-id': 'ignored' },
    });
    await hub.sendToUser('ignored', 'not this one');
    await hub.sendToUser('t-9', 'this one');
    const [event] = await stream.waitForEvents(1);
    expect(event.data).toBe('this one');
    expect(hub.connections({ userId: 't-9' })).toHaveLength(1);
    stream.close();
  });
});

describe('SseHub fan-out', () => {
  let server: TestApp;
  let hub: SseHub;
  const calls: unknown[] = [];
  const countingSerializer: SseSerializer = (value) => {
    calls.push(value);
    return JSON.stringify(value);
  };

  beforeAll(async () => {
    server = await startApp({ controllers: [HubController] }, { serializer: countingSerializer });
    hub = server.app.get(SseHub);
  });
  afterAll(() => server.close());

  it('serializes and frames an event once for all the streams it reaches', async () => {
    const streams: TestEventStream[] = [];
    await runBounded(50, 10, async (i) => {
      streams.push(await openEventStream(server.app, streamUrl('', ['fan', `own:${i}`])));
    });
    const deliveredBefore = hub.stats().delivered;
    calls.length = 0;
    const id = await hub.publish('fan', { price: 42 });
    expect(calls).toEqual([{ price: 42 }]);
    await hub.broadcast(sseEvent({ event: 'bulletin', data: { n: 1 } }));
    expect(calls).toEqual([{ price: 42 }, { n: 1 }]);
    for (const stream of streams) {
      const [event, bulletin] = await stream.waitForEvents(2);
      expect(event).toMatchObject({ id, data: '{"price":42}' });
      expect(bulletin).toMatchObject({ type: 'bulletin', data: '{"n":1}' });
    }
    expect(hub.stats().delivered - deliveredBefore).toBe(100);
    expect(calls).toHaveLength(2);
    streams.forEach((stream) => stream.close());
  });
});

describe('SseHub with 200 real EventSource clients', () => {
  let server: TestApp;
  let hub: SseHub;
  const clients: TestEventSource[] = [];

  beforeAll(async () => {
    // 200 anonymous clients from one address: more than the per-address default.
    server = await startApp({ controllers: [HubController] }, { maxAnonymousConnectionsPerAddress: Infinity });
    hub = server.app.get(SseHub);
  });
  afterAll(async () => {
    clients.forEach((client) => client.close());
    await server.close();
  });

  it('delivers every event of their channels to every client, exactly once and in order', async () => {
    const rooms = ['room:0', 'room:1', 'room:2', 'room:3'];
    for (let i = 0; i < 200; i++) {
      clients.push(new TestEventSource(streamUrl(server.url, [rooms[i % 4], 'all']), { types: ['end'] }));
    }
    await Promise.all(clients.map((client) => client.waitFor((c) => c.opens === 1, 'open')));
    expect(hub.count()).toBe(200);
    expect(hub.count('all')).toBe(200);
    expect(hub.count('room:2')).toBe(50);

    const published: { channel: string; id: string }[] = [];
    for (let n = 0; n < 20; n++) {
      const channel = n % 5 === 4 ? 'all' : rooms[n % 5];
      published.push({ channel, id: await hub.publish(channel, { n }) });
    }
    await hub.publish('all', sseEvent({ event: 'end', data: '' }));

    for (const [i, client] of clients.entries()) {
      await client.waitFor((c) => c.events.some((e) => e.type === 'end'), 'the end event');
      const expected = published.filter((p) => p.channel === 'all' || p.channel === rooms[i % 4]).map((p) => p.id);
      expect(client.events.filter((e) => e.type === 'message').map((e) => e.lastEventId)).toEqual(expected);
    }
    expect(clients.every((client) => client.errors.length === 0 && client.opens === 1)).toBe(true);
  });
});
