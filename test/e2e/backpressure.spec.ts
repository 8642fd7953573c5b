import { Controller } from '@nestjs/common';
import net from 'node:net';
import { from, NEVER, concat, Subject } from 'rxjs';
import { openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { EventStream, SseHub, sseEvent, type SseEvent } from '../../lib/index.js';
import { CaptureLogger } from '../utils/capture-logger.js';
import { startApp, type TestApp } from '../utils/test-app.js';

const broadcast = new Subject<SseEvent>();
const MAX_BUFFERED = 64 * 1024;
const PAYLOAD = 'p'.repeat(128 * 1024);

@Controller()
class BroadcastController {
  @EventStream('broadcast')
  events() {
    return broadcast;
  }

  /** Like a replay: far more than maxBufferedBytes written before the stream opens. */
  @EventStream('backlog')
  backlog() {
    return concat(from(Array.from({ length: 20 }, (_, i) => sseEvent({ id: i, data: PAYLOAD }))), NEVER);
  }
}

/** A client that sends its request and then never reads a byte. */
function openStalledClient(url: string): Promise<net.Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.pause();
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      socket.write(`GET /broadcast HTTP/1.1\r\nHost: ${hostname}:${port}\r\nX-Client: stalled\r\n\r\n`);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

describe('backpressure: a client that stops reading', () => {
  let server: TestApp;
  let hub: SseHub;
  const logs = new CaptureLogger();

  beforeAll(async () => {
    server = await startApp(
      { controllers: [BroadcastController] },
      { maxBufferedBytes: MAX_BUFFERED, heartbeatMs: 0 },
      (app) => app.useLogger(logs),
    );
    hub = server.app.get(SseHub);
  });
  afterAll(() => server.close());

  it('is closed by the server once its unsent bytes pass maxBufferedBytes, while a reading client gets every event, even events and bursts larger than the limit', async () => {
    const reader = await openEventStream(server.app, `/broadcast`);
    const stalled = await openStalledClient(server.url);
    await waitForHub(hub, (h) => h.count() === 2);
    const stalledConnection = hub.connections().find((c) => c.request.headers['x-client'] === 'stalled');
    expect(stalledConnection).toBeDefined();

    let sent = 0;
    while (hub.stats().slowClientDisconnects === 0) {
      if (sent === 500)
        throw new Error(`the stalled client was still open after ${sent} events of ${PAYLOAD.length} bytes`);
      broadcast.next(sseEvent({ id: sent, data: PAYLOAD }));
      sent++;
      await reader.waitForEvents(sent);
    }
    await waitForHub(hub, (h) => h.count() === 1);
    expect(stalledConnection!.closed).toBe(true);

    // The reading client goes on receiving everything, also a burst of events larger than the limit in one turn.
    for (let i = 0; i < 5; i++) broadcast.next(sseEvent({ id: sent++, data: PAYLOAD }));
    const events = await reader.waitForEvents(sent);
    expect(events.map((e) => e.id)).toEqual(Array.from({ length: sent }, (_, i) => String(i)));
    expect(events.every((e) => e.data === PAYLOAD)).toBe(true);

    expect(hub.stats().slowClientDisconnects).toBe(1);
    const warning = await logs.waitFor('warn', stalledConnection!.id);
    expect(warning.message).toMatch(
      new RegExp(
        `^Stream ${stalledConnection!.id} closed: \\d+ bytes waiting to be sent exceed maxBufferedBytes \\(${MAX_BUFFERED}\\)`,
      ),
    );
    expect(logs.messages('warn', 'maxBufferedBytes')).toHaveLength(1);

    stalled.destroy();
    reader.close();
    await waitForHub(hub, (h) => h.count() === 0);
  });

  it('does not take a backlog written before the stream opens for a slow client', async () => {
    const before = hub.stats().slowClientDisconnects;
    const stream = await openEventStream(server.app, `/backlog`);
    const events = await stream.waitForEvents(20);
    expect(events.map((e) => e.id)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(hub.stats().slowClientDisconnects).toBe(before);
    stream.close();
    await waitForHub(hub, (h) => h.count() === 0);
  });
});
