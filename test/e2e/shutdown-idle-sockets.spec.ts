import { Controller, Get } from '@nestjs/common';
import http from 'node:http';
import net from 'node:net';
import { interval, map } from 'rxjs';
import { openEventStream } from 'nestjs-event-stream/testing';
import { EventStream } from '../../lib/index.js';
import { startApp } from '../utils/test-app.js';

@Controller()
class IdleController {
  @EventStream('ticks')
  ticks() {
    return interval(50).pipe(map((n) => n));
  }

  @Get('plain')
  plain() {
    return { ok: true };
  }
}

/** Resolves when `socket` closes (the server closed it). */
function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

describe("shutdown with Nest's defaults (no forceCloseConnections)", () => {
  it('closes a socket that never sent a request, an idle keep-alive socket and the streams, so app.close() returns', async () => {
    const server = await startApp({ controllers: [IdleController] }, {}, undefined, { forceCloseConnections: false });
    const { port } = new URL(server.url);
    // A spare socket, as clients open them: connected, never a request.
    const spare = net.connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => spare.once('connect', () => resolve()));
    // A keep-alive socket that served one request and now waits for the next.
    const agent = new http.Agent({ keepAlive: true });
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get(`${server.url}/plain`, { agent }, (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    expect(JSON.parse(body)).toEqual({ ok: true });
    const [keptAlive] = Object.values(agent.freeSockets).flat() as net.Socket[];
    expect(keptAlive).toBeDefined();
    const stream = await openEventStream(server.app, `/ticks`);
    await stream.waitForEvents(1);

    const spareClosed = closed(spare);
    const keptAliveClosed = closed(keptAlive);
    // Without closing the idle sockets, this waits until the client drops them (minutes for the spare one).
    await server.close();
    await Promise.all([spareClosed, keptAliveClosed, stream.ended]);
    expect(spare.destroyed).toBe(true);
    agent.destroy();
  });
});
