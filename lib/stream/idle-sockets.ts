import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * The sockets of the app's HTTP server that carry no request, for shutdown:
 * `server.close()` waits for every open socket, and on Node 20
 * `server.closeIdleConnections()` leaves alone a socket that never sent a
 * request (clients open such spare sockets). Without this, one of them keeps
 * a SIGTERM'd process alive until the client drops it.
 */
export class IdleSockets {
  private readonly sockets = new Set<Socket>();
  private readonly used = new WeakSet<Socket>();
  private server: Server | undefined;
  private connectionEvent: 'connection' | 'secureConnection' = 'connection';
  private readonly forget: (this: Socket) => void;
  private readonly onConnection = (socket: Socket): void => {
    this.sockets.add(socket);
    socket.once('close', this.forget);
  };
  private readonly onRequest = (request: IncomingMessage): void => {
    this.used.add(request.socket);
  };
  /** An upgraded socket (a WebSocket gateway on the same server) is its gateway's to close. */
  private readonly onUpgrade = (_request: IncomingMessage, socket: Socket): void => {
    this.used.add(socket);
  };

  constructor() {
    const sockets = this.sockets;
    this.forget = function (this: Socket) {
      sockets.delete(this);
    };
  }

  /** Follows the sockets of `server` (a Node HTTP server; anything else is left alone). */
  attach(server: unknown): void {
    const candidate = server as Partial<Server> | null | undefined;
    if (this.server || typeof candidate?.on !== 'function' || typeof candidate.closeIdleConnections !== 'function') {
      return;
    }
    this.server = candidate as Server;
    // On HTTPS, requests carry the TLS socket, not the raw one 'connection' gives.
    this.connectionEvent =
      typeof (candidate as { setSecureContext?: unknown }).setSecureContext === 'function'
        ? 'secureConnection'
        : 'connection';
    this.server.on(this.connectionEvent, this.onConnection);
    this.server.on('request', this.onRequest);
    this.server.on('upgrade', this.onUpgrade);
  }

  /** Closes every socket that carries no request now: those that never sent one, and idle keep-alive ones. */
  closeIdle(): void {
    const server = this.server;
    if (!server) return;
    for (const socket of this.sockets) if (!this.used.has(socket)) socket.destroy();
    server.closeIdleConnections();
  }

  /** Stops following the server. */
  detach(): void {
    this.server?.off(this.connectionEvent, this.onConnection);
    this.server?.off('request', this.onRequest);
    this.server?.off('upgrade', this.onUpgrade);
    this.server = undefined;
    this.sockets.clear();
  }
}
