import type { SseRequest } from './sse-client.interface.js';

/** The client address of a request: the platform's `ip` (Express's and Fastify's honour their `trust proxy` settings), else the socket's. */
export function addressOf(request: SseRequest): string | undefined {
  return request.ip ?? request.socket?.remoteAddress;
}

/** A user or session id as the registry keeps it: a string, or `undefined` for none. */
export function idOf(id: string | number | undefined | null): string | undefined {
  return id === undefined || id === null ? undefined : String(id);
}
