import { decideOnFinalWord, decideOnResponse } from 'nestjs-event-stream/client';
import { isEventStreamType, MAX_SERVER_MESSAGE_LENGTH, serverMessageOf } from '../../lib/client/stop-rules.js';

describe('the typed client’s stop rules', () => {
  it('opens only a 200 whose Content-Type is text/event-stream (parameters and case allowed)', () => {
    expect(decideOnResponse(200, 'text/event-stream')).toEqual({ action: 'open' });
    expect(decideOnResponse(200, 'Text/Event-Stream; charset=utf-8')).toEqual({ action: 'open' });
    for (const type of ['text/html', 'application/json', '', null, undefined, 'text/event-streams']) {
      expect(decideOnResponse(200, type)).toEqual({ action: 'stop', kind: 'not-event-stream' });
    }
  });

  it('stops for good on 204, and on 401, 403, 404 and every other 4xx but 408 and 429', () => {
    expect(decideOnResponse(204, '')).toEqual({ action: 'stop', kind: 'no-content' });
    for (const status of [400, 401, 403, 404, 405, 409, 410, 413, 422, 451, 499, 201, 302, 304]) {
      expect(decideOnResponse(status, 'application/json')).toEqual({ action: 'stop', kind: 'status' });
    }
  });

  it('retries 408, 429 and every 5xx with backoff, honouring Retry-After on 429 and 503 only', () => {
    expect(decideOnResponse(429, 'text/event-stream')).toEqual({ action: 'retry', retryAfter: true });
    expect(decideOnResponse(503, 'application/json')).toEqual({ action: 'retry', retryAfter: true });
    for (const status of [408, 500, 502, 504, 599]) {
      expect(decideOnResponse(status, 'text/html')).toEqual({ action: 'retry', retryAfter: false });
    }
  });

  it('closes on the final words completed and revoked, reconnects after the hint on the planned ends, backs off on error and on unknown reasons', () => {
    expect(decideOnFinalWord('completed')).toBe('close');
    expect(decideOnFinalWord('revoked')).toBe('close');
    for (const reason of ['shutdown', 'lifetime', 'disconnected', 'auth-expired']) {
      expect(decideOnFinalWord(reason)).toBe('reconnect');
    }
    for (const reason of ['error', 'some-future-reason', undefined, 42])
      expect(decideOnFinalWord(reason)).toBe('backoff');
  });

  it('reads the message of a Nest error body, joined when it is a list, bounded in length', () => {
    expect(serverMessageOf('{"statusCode":401,"message":"Unauthorized"}')).toBe('Unauthorized');
    expect(serverMessageOf('{"message":["a must be set","b too"],"error":"Bad Request"}')).toBe('a must be set, b too');
    expect(serverMessageOf('<html>nope</html>')).toBeUndefined();
    expect(serverMessageOf('"just a string"')).toBeUndefined();
    expect(serverMessageOf('{"message":42}')).toBeUndefined();
    const long = serverMessageOf(JSON.stringify({ message: 'x'.repeat(10_000) }))!;
    expect(long).toHaveLength(MAX_SERVER_MESSAGE_LENGTH + 1);
    expect(long.endsWith('…')).toBe(true);
  });

  it('recognises the event-stream media type and nothing else', () => {
    expect(isEventStreamType(' text/event-stream ;charset=UTF-8')).toBe(true);
    expect(isEventStreamType('text/plain; x=text/event-stream')).toBe(false);
  });
});
