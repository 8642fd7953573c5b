import { SSE_MESSAGES } from '../../sse.messages.js';
import { FastifyReplyTransport, isFastifyReply } from './fastify-reply.transport.js';
import { isNodeResponse, NodeHttpTransport, type NodeResponse } from './node-http.transport.js';
import type { SseTransport } from './sse-transport.interface.js';

/** The transport for the response object a platform hands to a route: a Fastify reply, or a Node response. */
export function transportFor(response: unknown): SseTransport {
  if (isFastifyReply(response)) return new FastifyReplyTransport(response);
  if (isNodeResponse(response)) return new NodeHttpTransport(response);
  throw new TypeError(SSE_MESSAGES.unsupportedResponse(response));
}

/** The Node response behind what a platform hands to a route (a Fastify reply's `raw`), or `response` as it is. */
export function nodeResponseOf(response: unknown): NodeResponse | undefined {
  if (isFastifyReply(response)) return response.raw;
  return isNodeResponse(response) ? response : undefined;
}
