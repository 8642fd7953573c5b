import {
  DEFAULT_END_EVENT_NAME,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_MAX_LIFETIME_JITTER,
  DEFAULT_RETRY_JITTER,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_RETRY_MS,
  MAX_TIMER_DELAY_MS,
} from '../sse.constants.js';
import { SSE_MESSAGES } from '../sse.messages.js';
import { checkFraction, checkInteger } from './check-option.js';
import { assertEventName } from '../protocol/encode-event.js';
import { jsonSerializer } from '../protocol/sse-serializer.js';
import type { ResolvedSseStreamOptions, SseStreamOptions } from '../stream/sse-stream-options.interface.js';

export const DEFAULT_STREAM_OPTIONS: ResolvedSseStreamOptions = Object.freeze({
  heartbeatMs: DEFAULT_HEARTBEAT_MS,
  retryMs: DEFAULT_RETRY_MS,
  retryJitter: DEFAULT_RETRY_JITTER,
  maxLifetimeMs: 0,
  maxLifetimeJitter: DEFAULT_MAX_LIFETIME_JITTER,
  endEventName: DEFAULT_END_EVENT_NAME,
  maxBufferedBytes: DEFAULT_MAX_BUFFERED_BYTES,
  serializer: jsonSerializer,
  errorEventName: undefined,
  onFrameError: 'skip',
  messageEvents: undefined,
});

/** Checks an option that names an SSE event, when given: naming it, the bad value and why. */
export function assertEventNameOption(name: string, value: string | undefined): void {
  if (value === undefined) return;
  try {
    assertEventName(value);
  } catch (error) {
    throw new Error(`${SSE_MESSAGES.invalidOption(name, value, 'a valid SSE event name')} ${(error as Error).message}`);
  }
}

/**
 * Checks the stream options that were given, naming the first bad one.
 * `where` prefixes the option name (e.g. `@EventStream() on Feed.events: `).
 */
export function validateStreamOptions(options: SseStreamOptions, where = ''): void {
  checkInteger(`${where}heartbeatMs`, options.heartbeatMs, 0, 0);
  checkInteger(`${where}retryMs`, options.retryMs, 0, 0, MAX_TIMER_DELAY_MS);
  checkFraction(`${where}retryJitter`, options.retryJitter, 0);
  checkInteger(`${where}maxLifetimeMs`, options.maxLifetimeMs, 0, 0, MAX_TIMER_DELAY_MS);
  // At most half: a lifetime never shorter than half of maxLifetimeMs (a jitter of 1 could end a stream as it opens).
  checkFraction(`${where}maxLifetimeJitter`, options.maxLifetimeJitter, 0, 0.5);
  if (options.endEventName !== false) assertEventNameOption(`${where}endEventName`, options.endEventName);
  checkInteger(`${where}maxBufferedBytes`, options.maxBufferedBytes, 1, 1);
  if (options.serializer !== undefined && typeof options.serializer !== 'function') {
    throw new Error(SSE_MESSAGES.invalidOption(`${where}serializer`, options.serializer, 'a function'));
  }
  assertEventNameOption(`${where}errorEventName`, options.errorEventName);
  if (options.onFrameError !== undefined && options.onFrameError !== 'skip' && options.onFrameError !== 'end') {
    throw new Error(SSE_MESSAGES.invalidOption(`${where}onFrameError`, options.onFrameError, `'skip' or 'end'`));
  }
  if (options.messageEvents !== undefined && typeof options.messageEvents !== 'boolean') {
    throw new Error(SSE_MESSAGES.invalidOption(`${where}messageEvents`, options.messageEvents, 'true or false'));
  }
}

/** Only the stream options that are set, so that `undefined` never hides a default. */
export function pickStreamOptions(options: SseStreamOptions): SseStreamOptions {
  const picked: SseStreamOptions = {};
  for (const key of Object.keys(DEFAULT_STREAM_OPTIONS) as (keyof SseStreamOptions)[]) {
    if (options[key] !== undefined) (picked as Record<string, unknown>)[key] = options[key];
  }
  return picked;
}

/** Layers option sets over the defaults, later ones winning; validates each. */
export function resolveStreamOptions(...layers: SseStreamOptions[]): ResolvedSseStreamOptions {
  let resolved: ResolvedSseStreamOptions = DEFAULT_STREAM_OPTIONS;
  for (const layer of layers) {
    validateStreamOptions(layer);
    resolved = { ...resolved, ...pickStreamOptions(layer) };
  }
  return resolved;
}
