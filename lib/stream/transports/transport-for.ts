import { SSE_MESSAGES } from '../../sse.messages.js';
import { NodeHttpTransport } from './node-http.transport.js';
import type { SseTransport } from './sse-transport.interface.js';

/** The transport for the response object a platform hands to a route. */
export function transportFor(response: unknown): SseTransport {
  if (NodeHttpTransport.accepts(response)) return new NodeHttpTransport(response);
  throw new TypeError(SSE_MESSAGES.unsupportedResponse(response));
}
