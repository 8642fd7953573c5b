import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A plain `node:http` server for what a Nest app never sends: exact bytes, silence, a dropped connection. */
export interface RawServer {
  url: string;
  /** The requests it got, in order. */
  requests: IncomingMessage[];
  close(): Promise<void>;
}

/** Starts a server on an ephemeral port of 127.0.0.1; `handle` gets the request and its number (0, 1, ...). */
export async function startRawServer(
  handle: (request: IncomingMessage, response: ServerResponse, n: number) => void,
): Promise<RawServer> {
  const requests: IncomingMessage[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((request, response) => {
    requests.push(request);
    handle(request, response, requests.length - 1);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Writes the head of an event stream at once. */
export function openStream(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  response.flushHeaders();
}
