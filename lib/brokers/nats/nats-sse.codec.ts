import type { MsgHdrs } from 'nats';
import type { SseBrokerEvent } from '../sse-broker.interface.js';

/**
 * What the broker writes in JetStream and reads back. Pure.
 *
 * Each event is one message on its channel's subject, the payload as its
 * data (UTF-8), with headers:
 * - `Sse-Prev`: the seq of the channel's previous event, or, for the first
 *   event of a history, the newest seq that history may have lost (0: none).
 *   A read finds the first event after a position; if its `Sse-Prev` is
 *   after the position too, events between them were let go of: `expired`.
 *   The publisher keeps the chain exact with `Nats-Expected-Last-Subject-Sequence`.
 * - `Sse-Bytes`: the channel's payload bytes from the start of its history
 *   up to this event, so that the bytes kept from any event on are one
 *   subtraction (what `maxChannelBytes` is enforced with);
 * - `Sse-Except`: the connection id that must not receive it, if any.
 */
export const EVENT_HEADERS = { prev: 'Sse-Prev', bytes: 'Sse-Bytes', except: 'Sse-Except' } as const;

const DIGITS = /^(0|[1-9][0-9]{0,15})$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** An event as it is stored: its position in its channel's chain, and its size. */
export interface NatsSseStoredEvent extends SseBrokerEvent {
  /** `Sse-Prev`. */
  readonly prev: number;
  /** `Sse-Bytes`. */
  readonly bytes: number;
  /** Its payload's bytes. */
  readonly size: number;
  readonly except?: string;
}

/** The bytes of a payload, as stored. */
export function encodePayload(payload: string): Uint8Array {
  return encoder.encode(payload);
}

/** A non-negative integer of a header, or `undefined`. */
function headerNumber(headers: MsgHdrs | undefined, name: string): number | undefined {
  const text = headers?.get(name) ?? '';
  return DIGITS.test(text) ? Number(text) : undefined;
}

/** Sets the headers of an event on `headers` (made by the nats package's `headers()`). */
export function writeEventHeaders(headers: MsgHdrs, event: { prev: number; bytes: number; except?: string }): MsgHdrs {
  headers.set(EVENT_HEADERS.prev, String(event.prev));
  headers.set(EVENT_HEADERS.bytes, String(event.bytes));
  if (event.except !== undefined) headers.set(EVENT_HEADERS.except, event.except);
  return headers;
}

/**
 * About what JetStream's file store counts for a message (what `max_bytes`
 * bounds; measured on nats-server 2.9): some 34 bytes of its own, the
 * subject, the header block (`NATS/1.0`, each `Name: value`, the blank
 * line) and the data. Pure.
 */
export function storedSize(
  subject: string,
  headers: readonly (readonly [string, string])[],
  dataBytes: number,
): number {
  const headerBytes = headers.reduce((sum, [name, value]) => sum + name.length + value.length + 4, 12);
  return 34 + subject.length + headerBytes + dataBytes;
}

/** The event a stored message stands for, or `undefined` if it is not one the broker wrote. */
export function readStoredEvent(
  channel: string,
  epoch: string,
  seq: number,
  headers: MsgHdrs | undefined,
  data: Uint8Array,
): NatsSseStoredEvent | undefined {
  const prev = headerNumber(headers, EVENT_HEADERS.prev);
  const bytes = headerNumber(headers, EVENT_HEADERS.bytes);
  if (prev === undefined || bytes === undefined || !Number.isSafeInteger(seq) || seq < 1) return undefined;
  const except = headers?.get(EVENT_HEADERS.except) || undefined;
  const event = { channel, epoch, seq, payload: decoder.decode(data), prev, bytes, size: data.length };
  return except === undefined ? event : { ...event, except };
}

/** What the reply subject of a JetStream delivery says of it. */
export interface NatsSseDelivery {
  readonly stream: string;
  readonly consumer: string;
  readonly streamSeq: number;
  readonly consumerSeq: number;
  /** Messages of the consumer's filter after this one, when it was sent. */
  readonly pending: number;
}

/**
 * Parses `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>`,
 * or its longer form with a domain and an account hash first (newer servers).
 */
export function parseDelivery(reply: string | undefined): NatsSseDelivery | undefined {
  const tokens = (reply ?? '').split('.');
  if (tokens[0] !== '$JS' || tokens[1] !== 'ACK') return undefined;
  const at = tokens.length === 9 ? 2 : tokens.length >= 11 ? 4 : -1;
  if (at < 0) return undefined;
  const [streamSeq, consumerSeq, pending] = [tokens[at + 3], tokens[at + 4], tokens[at + 6]].map(Number);
  if (![streamSeq, consumerSeq, pending].every((n) => Number.isSafeInteger(n) && n >= 0)) return undefined;
  return { stream: tokens[at], consumer: tokens[at + 1], streamSeq, consumerSeq, pending };
}

/** The number of a JetStream API error (`err_code`) of `error`, if it is one. */
export function apiErrorCode(error: unknown): number | undefined {
  const code = (error as { api_error?: { err_code?: unknown } } | null)?.api_error?.err_code;
  return typeof code === 'number' ? code : undefined;
}

/** JetStream's error numbers that the broker handles. */
export const JS_ERRORS = {
  streamNotFound: 10059,
  streamNameInUse: 10058,
  wrongLastSequence: 10071,
  noMessage: 10037,
  consumerNotFound: 10014,
} as const;

/** Whether `error` says that no message was found (a direct get's 404, or the API's "no message found"). */
export function isNoMessage(error: unknown): boolean {
  const e = error as { code?: unknown; api_error?: { err_code?: unknown } } | null;
  return e?.code === '404' || e?.api_error?.err_code === JS_ERRORS.noMessage;
}
