import { jest } from '@jest/globals';
import type { Logger } from '@nestjs/common';
import { checkPublishOptions, checkReadArguments } from '../../lib/brokers/shared/broker-arguments.js';
import { backoffDelay, BrokerBackoff } from '../../lib/brokers/shared/broker-backoff.js';
import { reasonOf } from '../../lib/brokers/shared/broker-failure-reason.js';
import { brokerMessages } from '../../lib/brokers/shared/broker-messages.js';
import { advance, isPosition } from '../../lib/brokers/shared/broker-position.js';
import { BrokerRefusals } from '../../lib/brokers/shared/broker-refusals.js';
import { isExcept, parseSentMessage, sentMessageOf } from '../../lib/brokers/shared/broker-sent-message.js';
import { withTimeout } from '../../lib/brokers/shared/broker-timeout.js';
import { SseBrokerUnavailableError } from '../../lib/brokers/sse-broker-unavailable.error.js';

describe('shared broker pieces', () => {
  it('backoffDelay doubles from the first delay, at most `doublings` times, capped', () => {
    const delays = (options: Parameters<typeof backoffDelay>[0]) =>
      [0, 1, 2, 3, 4, 5, 40].map((n) => backoffDelay(options, n));
    expect(delays({ firstMs: 100, maxMs: 2000 })).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
    expect(delays({ firstMs: 500, maxMs: 30_000, doublings: 4 })).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('BrokerBackoff runs one pending task after its delay, counts failures, and cancels', () => {
    jest.useFakeTimers();
    try {
      const retry = new BrokerBackoff({ firstMs: 5, maxMs: 20 });
      const runs: string[] = [];
      expect(retry.schedule(() => runs.push('first'))).toBe(5);
      jest.advanceTimersByTime(4);
      expect(runs).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(runs).toEqual(['first']);
      expect(retry.schedule(() => runs.push('second'))).toBe(10);
      expect(retry.schedule(() => runs.push('third'))).toBe(20);
      expect(retry.attempts).toBe(3);
      retry.succeeded();
      expect(retry.attempts).toBe(0);
      jest.advanceTimersByTime(100);
      expect(runs).toEqual(['first']);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('reasonOf names the error without the credentials of a URL', () => {
    expect(reasonOf(new Error('at postgres://u:p@ss@db:5432/x'))).toBe('at postgres://***@db:5432/x');
    expect(reasonOf({ name: 'Boom' })).toBe('Boom');
    expect(reasonOf('nats://token@h:4222 down')).toBe('nats://***@h:4222 down');
  });

  it('withTimeout rejects with the error given, after the time given', async () => {
    await expect(withTimeout(new Promise(() => undefined), 5, (ms) => new Error(`late ${ms}`))).rejects.toThrow(
      'late 5',
    );
    await expect(withTimeout(Promise.resolve(1), 1000, () => new Error('no'))).resolves.toBe(1);
  });

  it('checks positions, excepts and sent messages', () => {
    expect(isPosition({ epoch: 'a1', seq: 0 })).toBe(true);
    expect(isPosition({ epoch: 'A', seq: 0 })).toBe(false);
    expect(isPosition({ epoch: 'a', seq: -1 })).toBe(false);
    expect(advance({ epoch: 'a', seq: 5 }, { epoch: 'a', seq: 3 })).toEqual({ epoch: 'a', seq: 5 });
    expect(advance({ epoch: 'a', seq: 5 }, { epoch: 'b', seq: 3 })).toEqual({ epoch: 'b', seq: 3 });
    expect(isExcept('c1')).toBe(true);
    expect(isExcept('a\nb')).toBe(false);
    expect(isExcept('x'.repeat(201))).toBe(false);
    expect(sentMessageOf({ type: 'user', userId: 'u', payload: 'p', other: 1 })).toEqual({
      type: 'user',
      userId: 'u',
      payload: 'p',
    });
    expect(sentMessageOf({ type: 'revoke', target: 'group', id: 'x' })).toBeUndefined();
    expect(parseSentMessage('{"type":"disconnect","connectionId":"c"}')).toEqual({
      type: 'disconnect',
      connectionId: 'c',
    });
    expect(parseSentMessage('{')).toBeUndefined();
  });

  it('BrokerRefusals tells clients only what they need, and logs each reason once per outage', () => {
    const warnings: string[] = [];
    const logger = { warn: (line: string) => warnings.push(line) } as unknown as Logger;
    const messages = brokerMessages('TestSseBroker', 'Test');
    const refusals = new BrokerRefusals({
      target: () => 'db:1',
      retryAfterSeconds: 2,
      logger,
      messages,
      errorOf: (message, details) => new SseBrokerUnavailableError(message, details),
    });
    const notSent = refusals.unavailable('publish to channel "a"', 'ECONNREFUSED', 'publish');
    expect(notSent.message).toBe('Service temporarily unavailable: nothing was sent. Retry in 2 seconds.');
    expect(notSent.maybePublished).toBe(false);
    expect(notSent.message).not.toContain('db:1');
    const maybe = refusals.unanswered('publish to channel "a"', 'no answer', 'publish', true);
    expect(maybe.maybePublished).toBe(true);
    expect(maybe.message).toBe(
      'Service temporarily unavailable: the event may have been published. Retry in 2 seconds.',
    );
    expect(maybe.detail).toContain('Test at db:1 did not answer');
    refusals.unavailable('read', 'ECONNREFUSED');
    expect(warnings).toHaveLength(2);
    refusals.answered();
    refusals.unavailable('read', 'ECONNREFUSED');
    expect(warnings).toHaveLength(3);
  });

  it("checks publish options and read arguments in the broker's words", () => {
    const messages = brokerMessages('TestSseBroker', 'Test');
    const where = 'TestSseBroker.publish()';
    expect(checkPublishOptions(messages, where, 'room', { except: 'c1' })).toEqual({
      except: 'c1',
      idempotencyKey: undefined,
    });
    expect(() => checkPublishOptions(messages, where, 'room', null as never)).toThrow(
      messages.invalidPublishOptions(null),
    );
    expect(() => checkPublishOptions(messages, where, 'room', { except: 'a\nb' })).toThrow(TypeError);
    expect(() => checkPublishOptions(messages, where, '', {})).toThrow();
    const after = { epoch: 'e', seq: 0 };
    expect(checkReadArguments(messages, ['a', 'a', 'b'], after, 10, 100)).toEqual(['a', 'b']);
    expect(() => checkReadArguments(messages, 'a' as never, after, 10, 100)).toThrow(messages.invalidChannels('a'));
    expect(() => checkReadArguments(messages, ['a'], { epoch: 'E', seq: 0 }, 10, 100)).toThrow(TypeError);
    expect(() => checkReadArguments(messages, ['a'], after, 101, 100)).toThrow(messages.invalidLimit(101, 100));
  });
});
