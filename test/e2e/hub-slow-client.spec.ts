import net from 'node:net';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { SseHub } from '../../lib/index.js';
import { HubController, streamUrl, tagged } from '../src/hub/hub-fixture.js';
import { startApp, type TestApp } from '../utils/test-app.js';

/**
 * A client that sends its request and then never reads: Node stops reading
 * the socket once its small buffer is full, the kernel's receive window
 * closes, and the server's writes pile up.
 */
function openPausedSocket(url: string, headers: Record<string, string>): Promise<net.Socket> {
  const { hostname, port, pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      const lines = [`GET ${pathname}${search} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Accept: text/event-stream'];
      for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      socket.pause();
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Reads everything a socket still delivers until it closes: the HTTP response, de-chunked and parsed. */
function drain(socket: net.Socket): Promise<EventSourceMessage[]> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('latin1');
      let rest = raw.slice(raw.indexOf('\r\n\r\n') + 4);
      let body = '';
      // Chunked transfer encoding; the last chunk may be cut off where the connection was closed.
      while (rest.length > 0) {
        const lineEnd = rest.indexOf('\r\n');
        if (lineEnd < 0) break;
        const size = parseInt(rest.slice(0, lineEnd), 16);
        if (!(size > 0)) break;
        body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
        rest = rest.slice(lineEnd + 2 + size + 2);
      }
      const events: EventSourceMessage[] = [];
      const parser = createParser({ onEvent: (event) => events.push(event) });
      parser.feed(Buffer.from(body, 'latin1').toString('utf8'));
      resolve(events);
    });
    socket.resume();
  });
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('SseHub and a client that stops reading', () => {
  const maxBufferedBytes = 256 * 1024;
  let server: TestApp;
  let hub: SseHub;

  beforeAll(async () => {
    server = await startApp({ controllers: [HubController] }, { maxBufferedBytes, history: { maxEvents: 20_000 } });
    hub = server.app.get(SseHub);
  });
  afterAll(() => server.close());

  it('keeps serving the others, disconnects it past maxBufferedBytes, and lets it catch up through replay', async () => {
    const fast = await openEventStream(server.app, streamUrl('', ['flood']));
    const slow = await openPausedSocket(streamUrl(server.url, ['flood']), tagged('slow'));
    await waitForHub(hub, (h) => h.count() === 2);
    const slowClosed = new Promise<void>((resolve) => slow.once('end', resolve).once('close', resolve));

    const payload = 'x'.repeat(16 * 1024);
    const published: string[] = [];
    // Lock-step with the fast client: each event reaches it while the slow one
    // reads nothing, until the slow one is cut off. Bounded, to fail rather than hang.
    while (hub.stats().slowClientDisconnects === 0 && published.length < 5000) {
      published.push(await hub.publish('flood', { n: published.length, payload }));
      await fast.waitForEvents(published.length);
      await nextTurn();
    }
    expect(hub.stats().slowClientDisconnects).toBe(1);
    await waitForHub(hub, (h) => h.count() === 1);
    expect(hub.count('flood')).toBe(1);
    expect(hub.stats().dropped).toBeGreaterThanOrEqual(1);

    // The others go on.
    for (let i = 0; i < 5; i++) published.push(await hub.publish('flood', { n: published.length, payload: 'after' }));
    const received = await fast.waitForEvents(published.length);
    expect(received.map((e) => e.id)).toEqual(published);

    // The slow client gets what the network still held, up to a complete event, then the end.
    const seen = await drain(slow);
    await slowClosed;
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(published.length);
    expect(seen.map((e) => e.id)).toEqual(published.slice(0, seen.length));

    // Reconnecting with its last id, it gets exactly what it missed.
    const caughtUp = await openEventStream(server.app, streamUrl('', ['flood']), {
      headers: { 'last-event-id': seen.at(-1)!.id! },
    });
    const missed = await caughtUp.waitForEvents(published.length - seen.length);
    expect(missed.map((e) => e.id)).toEqual(published.slice(seen.length));
    expect(missed.every((e) => e.type === 'message')).toBe(true);
    // A 'message' type with no `event:` line: no line could have made it one (`event:`, `event: message`).
    expect(caughtUp.text).not.toMatch(/^event: ?(message)?$/m);
    caughtUp.close();
    fast.close();
  });
});
