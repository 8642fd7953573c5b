import type { OutgoingHttpHeaders } from 'node:http';
import { isNodeResponse, NodeHttpTransport, type NodeResponse } from './node-http.transport.js';

/**
 * What this transport needs of a Fastify reply (`@nestjs/platform-fastify`
 * hands one to a route): its Node response, and the few methods to take it
 * over. Duck-typed: the library never imports Fastify.
 */
export interface FastifyReplyLike {
  readonly raw: NodeResponse;
  hijack(): unknown;
  header(name: string, value: string): unknown;
  getHeaders(): OutgoingHttpHeaders;
}

/** Whether `reply` is a Fastify reply around a Node response. */
export function isFastifyReply(reply: unknown): reply is FastifyReplyLike {
  const candidate = reply as Partial<FastifyReplyLike> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.hijack === 'function' &&
    typeof candidate.header === 'function' &&
    typeof candidate.getHeaders === 'function' &&
    isNodeResponse(candidate.raw)
  );
}

/**
 * A Fastify reply as a stream transport: the stream goes straight to its Node
 * response (HTTP/1.1 or HTTP/2). Until the stream opens, the reply is
 * Fastify's: a request refused before (a guard, a limit, a failed join)
 * is answered by Nest's exception filters through `reply.send()`, with the
 * headers set on the reply. When the stream opens (or answers 204 or `HEAD`)
 * the reply's headers are copied to the Node response and the reply is
 * hijacked, so that Fastify sends nothing after the stream and runs no
 * `onSend` hook (compression) over it.
 */
export class FastifyReplyTransport extends NodeHttpTransport {
  constructor(private readonly reply: FastifyReplyLike) {
    super(reply.raw);
  }

  protected override claim(): void {
    const raw = this.response;
    const headers = this.reply.getHeaders();
    // Connection-specific ones are dropped on HTTP/2 by the Node transport, with those set on the raw response.
    for (const name of Object.keys(headers)) {
      const value = headers[name];
      if (value === undefined) continue;
      raw.setHeader(name, typeof value === 'number' ? String(value) : value);
    }
    this.reply.hijack();
  }

  /** On the reply: Fastify sends it with a refusal, and `claim()` copies it to the stream. */
  override setHeader(name: string, value: string): void {
    this.reply.header(name, value);
  }
}
