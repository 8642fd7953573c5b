/** Every text the library logs or throws, in one place. Each names the bad value and the fix. */
export const SSE_MESSAGES = {
  invalidOption: (option: string, value: unknown, expected: string) =>
    `nestjs-sse: option "${option}" must be ${expected}, got ${formatValue(value)}.`,
  moduleNotImported: () =>
    'nestjs-sse: @EventStream() is used but SseModule is not imported. Add SseModule.forRoot() to the imports of your root module.',
  clientOutsideStream: () =>
    'nestjs-sse: @SseClient() can only be used on a route decorated with @EventStream().',
  invalidHandlerResult: (handler: string, value: unknown) =>
    `nestjs-sse: ${handler} returned ${formatValue(value)}. An @EventStream() handler returns an Observable, a Promise of one, an AsyncIterable, or null/undefined to answer 204 No Content.`,
  frameSkipped: (connectionId: string, message: string) =>
    `Stream ${connectionId}: a value was not written: ${message}`,
  streamFailed: (connectionId: string) => `Stream ${connectionId} failed after it started; sent an error event and ended it.`,
  tooManyConnections: (limit: number) =>
    `This server holds its maximum of ${limit} event streams (maxConnections); retry later.`,
  tooManyUserConnections: (limit: number) =>
    `This user already has ${limit} open event streams (maxConnectionsPerUser); close one, or share one stream between tabs.`,
  hubAssignsIds: () =>
    'nestjs-sse: SseHub assigns event ids itself; remove `id` from the event passed to the hub.',
  joinWithoutClient: (value: unknown) =>
    `nestjs-sse: SseHub.join() needs the client from @SseClient(), got ${formatValue(value)}.`,
  channelForbidden: (channel: string) => `Not allowed to join channel ${JSON.stringify(channel)}.`,
  slowClient: (connectionId: string, bytes: number, limit: number) =>
    `Stream ${connectionId} closed: ${bytes} bytes waiting to be sent exceed maxBufferedBytes (${limit}); the client is not reading.`,
} as const;

export function formatValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name && name !== 'Object' ? `an instance of ${name}` : 'a plain object';
  }
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
  return `${typeof value} ${String(value)}`;
}
