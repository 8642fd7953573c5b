import { Controller } from '@nestjs/common';
import { finalize, NEVER, startWith } from 'rxjs';
import { openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { EventStream, SseHub } from '../../lib/index.js';
import { startApp, type TestApp } from '../utils/test-app.js';

let teardowns = 0;

@Controller()
class LiveController {
  @EventStream('live')
  live() {
    return NEVER.pipe(
      startWith('hello'),
      finalize(() => teardowns++),
    );
  }
}

describe('app shutdown', () => {
  let server: TestApp;

  beforeAll(async () => {
    // Without forceCloseConnections: app.close() must end the streams by itself.
    // retryJitter 0: the first retry hint exactly; the final one is jittered by design.
    server = await startApp({ controllers: [LiveController] }, { heartbeatMs: 20, retryJitter: 0 }, undefined, {
      forceCloseConnections: false,
    });
  });

  it('app.close() ends every open stream with the final word shutdown and a retry hint, resolves, and leaves nothing behind', async () => {
    const hub = server.app.get(SseHub);
    const streams = await Promise.all(Array.from({ length: 5 }, () => openEventStream(server.app, `/live`)));
    await Promise.all(streams.map((stream) => stream.waitForEvents(1)));
    await waitForHub(hub, (h) => h.count() === 5);
    expect(hub.stats().timers.heartbeat).toBe(1);

    await server.close();

    for (const stream of streams) {
      await stream.ended;
      const body = stream.text.replace(/: heartbeat\n/g, '');
      // The final hint is spread over one to two retry periods, so clients do not all come back at once.
      expect(stream.retries).toHaveLength(2);
      const finalRetry = stream.retries[1];
      expect(finalRetry).toBeGreaterThanOrEqual(3000);
      expect(finalRetry).toBeLessThanOrEqual(6000);
      // One frame: the final word, with the hint (field order: event, retry, data).
      expect(body).toBe(
        'retry: 3000\n\ndata: hello\n\n' + `event: sse-end\nretry: ${finalRetry}\ndata: {"reason":"shutdown"}\n\n`,
      );
    }
    expect(hub.count()).toBe(0);
    expect(hub.stats().timers.heartbeat).toBe(0);
    expect(teardowns).toBe(5);
  });

  it('refuses connections once closed', async () => {
    // The app is closed: its server has no address any more, so the kit is given the URL it had.
    await expect(openEventStream(server.url, '/live', { http2: server.platform === 'fastify-h2c' })).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});
