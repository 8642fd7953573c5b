/**
 * `nestjs-event-stream/testing`: open a stream on a running app in a test,
 * await its typed events, assert its raw frames, and await hub state without
 * sleeps. Depends only on node: built-ins, the library and its peers.
 */
export { openEventStream, type OpenEventStreamOptions } from './open-event-stream.js';
export { DEFAULT_TEST_TIMEOUT_MS } from './timed-wait.js';
export type {
  AnySseEvents,
  TestEvent,
  TestEventDecoder,
  TestEventOf,
  TestEventStream,
  TestStreamEndedBy,
} from './test-event-stream.interface.js';
export {
  waitForChannelMembers,
  waitForConnections,
  waitForHub,
  type WaitableHub,
  type WaitForHubOptions,
} from './wait-for-hub.js';
export type { SseParsedEvent } from '../protocol/event-stream-parser.js';
