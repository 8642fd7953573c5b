import { HttpException } from '@nestjs/common';
import type { SseConnection } from '../stream/sse-connection.js';
import type { SseStreamRegistry } from '../stream/sse-stream-registry.js';

/**
 * A join that failed before its stream opened: the request is refused with
 * the error's status. Counted for the channel authorizer's 403 and the
 * broker's 503 (it could not subscribe or replay); anything else (a 400, an
 * error of yours) is not a refusal of the library.
 */
export function countJoinRefusal(registry: SseStreamRegistry, connection: SseConnection, error: unknown): void {
  if (!(error instanceof HttpException)) return;
  const status = error.getStatus();
  if (status === 403 || status === 503) registry.refused(status, connection);
}
