import type { SseChunk } from './transports/sse-transport.interface.js';

function toBuffer(chunk: SseChunk): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
}

/**
 * What a connection batched during a turn (`pending`: one chunk as it is,
 * several in an array, `bytes` in all), with `before` and `after` around it,
 * as one chunk for one socket write: a single chunk as it is (a shared Buffer
 * is not copied), strings joined, anything else concatenated. Pure.
 */
export function joinChunks(
  pending: SseChunk | SseChunk[] | undefined,
  bytes: number,
  before?: SseChunk,
  after?: SseChunk,
): SseChunk {
  if (pending !== undefined && !Array.isArray(pending) && before === undefined && !after) return pending;
  const chunks = pending === undefined ? [] : Array.isArray(pending) ? pending : [pending];
  if (before !== undefined) chunks.unshift(before);
  if (after) chunks.push(after);
  if (chunks.length === 1) return chunks[0];
  if (chunks.every((chunk) => typeof chunk === 'string')) return chunks.join('');
  return Buffer.concat(chunks.map(toBuffer), before === undefined && !after ? bytes : undefined);
}
