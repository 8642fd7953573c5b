import { Observable, Subject } from 'rxjs';
import {
  aiSdkUiMessageStream,
  openAiChatCompletions,
  sseEvent,
  sseRunEvents,
  type SseRunPreset,
} from '../../lib/index.js';
import { encodeEvent } from '../../lib/protocol/encode-event.js';
import { toSseEventInit } from '../../lib/protocol/sse-event.js';
import { decodeRecord, encodeRecord, runStateOf, type RunRecord } from '../../lib/runs/run-records.js';
import { isRunId, runRefOf } from '../../lib/runs/run-names.js';
import { runFinalWord } from '../../lib/runs/run-final-word.js';
import { resolveRunsOptions } from '../../lib/runs/resolve-runs-options.js';
import { ObservableValues } from '../../lib/runs/observable-values.js';
import { RunStream } from '../../lib/runs/run-stream.decorator.js';

const event = (seq: number, record: RunRecord) => ({
  channel: 'run-state:x',
  epoch: 'e1',
  seq,
  payload: encodeRecord(record),
});

/** The bytes a preset's events become, as the hub frames them (without the id it adds). */
const wire = (values: readonly unknown[]) => values.map((value) => encodeEvent(toSseEventInit(value))).join('');

describe('run records', () => {
  it('are SSE comments holding JSON, decoded back to the record; anything else is no record', () => {
    const record: RunRecord = { t: 'end', o: 'cancelled', last: 'e1.9', at: 5, exp: 10 };
    expect(encodeRecord(record)).toBe(': {"t":"end","o":"cancelled","last":"e1.9","at":5,"exp":10}\n\n');
    expect(decodeRecord(encodeRecord(record))).toEqual(record);
    expect(decodeRecord('data: {"t":"end"}\n\n')).toBeUndefined();
    expect(decodeRecord(': {"t":"end","o":"exploded","last":"e1.9","at":5,"exp":10}\n\n')).toBeUndefined();
    expect(decodeRecord(': not json\n\n')).toBeUndefined();
  });

  it('make a state: the first start wins, then cancel and the first end after it', () => {
    const state = runStateOf([
      event(1, { t: 'start', n: 'first', at: 1 }),
      event(2, { t: 'start', n: 'second', at: 2 }),
      event(3, { t: 'cancel', at: 3 }),
      event(4, { t: 'end', o: 'cancelled', last: 'e1.3', at: 4, exp: 9 }),
      event(5, { t: 'end', o: 'completed', last: 'e1.5', at: 5, exp: 9 }),
    ]);
    expect(state).toEqual({
      startId: 'e1.1',
      nonce: 'first',
      startedAt: 1,
      cancelled: true,
      end: { outcome: 'cancelled', last: 'e1.3', expiresAt: 9, error: undefined },
    });
    expect(runStateOf([event(1, { t: 'cancel', at: 1 })])).toBeUndefined();
  });
});

describe('run names', () => {
  it('take 1 to 128 letters, digits, - and _ as ids (a UUID is one)', () => {
    expect(isRunId('0b7c6a9e-5f1e-4a0b-9a59-2d8c1a7f3e11')).toBe(true);
    expect(isRunId('a'.repeat(128))).toBe(true);
    for (const bad of ['', 'a'.repeat(129), 'a b', 'a:b', 'a/b', 42, undefined]) expect(isRunId(bad)).toBe(false);
  });

  it("put an owner's runs in a scope of their own: the same id of two owners is two channels", () => {
    expect(runRefOf('r1', undefined)).toEqual({ id: 'r1', channel: 'run:r1', stateChannel: 'run-state:r1' });
    const alice = runRefOf('r1', 'alice');
    const bob = runRefOf('r1', 'bob');
    expect(alice.channel).toMatch(/^run:[A-Za-z0-9_-]{16}:r1$/);
    expect(alice.channel).not.toBe(bob.channel);
    expect(runRefOf('r1', 'alice')).toEqual(alice);
  });
});

describe('runFinalWord', () => {
  it('says completed (with the outcome when it did not complete), or error for a failure and a shutdown', () => {
    expect(runFinalWord({ outcome: 'completed', last: 'e.1', expiresAt: 0 })).toEqual({ reason: 'completed' });
    expect(runFinalWord({ outcome: 'idle', last: 'e.1', expiresAt: 0 })).toEqual({
      reason: 'completed',
      details: { outcome: 'idle' },
    });
    expect(
      runFinalWord({ outcome: 'failed', last: 'e.1', expiresAt: 0, error: { status: 502, message: 'bad gateway' } }),
    ).toEqual({ reason: 'error', details: { status: 502, message: 'bad gateway', outcome: 'failed' } });
    expect(runFinalWord({ outcome: 'shutdown', last: 'e.1', expiresAt: 0 })).toEqual({
      reason: 'error',
      details: { status: 503, message: 'Service Unavailable', outcome: 'shutdown' },
    });
  });
});

describe('resolveRunsOptions', () => {
  it('has defaults and refuses bad values, naming the option and what it must be', () => {
    expect(resolveRunsOptions()).toEqual({
      maxRuns: 1000,
      idleTimeoutMs: 60_000,
      expireAfterMs: 600_000,
      maxDurationMs: 3_600_000,
      maxQueuedValues: 10_000,
    });
    expect(() => resolveRunsOptions({ maxRuns: 0 })).toThrow(
      new TypeError('nestjs-event-stream: option "SseRunsModule maxRuns" must be an integer >= 1, got number 0.'),
    );
    expect(() => resolveRunsOptions({ idleTimeoutMs: -1 })).toThrow(/idleTimeoutMs/);
    expect(() => resolveRunsOptions({ expireAfterMs: 1.5 })).toThrow(/expireAfterMs/);
  });
});

describe('ObservableValues', () => {
  it('queues what the Observable emits ahead of the reader, and fails past the bound', async () => {
    const subject = new Subject<number>();
    const values = new ObservableValues(subject, 2);
    subject.next(1);
    subject.next(2);
    expect(await values.next()).toEqual({ done: false, value: 1 });
    subject.next(3);
    subject.next(4);
    expect(await values.next()).toEqual({ done: false, value: 2 });
    expect(await values.next()).toEqual({ done: false, value: 3 });
    await expect(values.next()).rejects.toThrow(/more than 2 values ahead .*maxQueuedValues/);
    expect(subject.observed).toBe(false);
  });

  it('return() unsubscribes at once: the teardown runs', async () => {
    let tornDown = false;
    const values = new ObservableValues(new Observable(() => () => (tornDown = true)), 10);
    const pending = values.next();
    await values.return();
    expect(tornDown).toBe(true);
    expect(await pending).toEqual({ done: true, value: undefined });
  });
});

describe('presets', () => {
  const run = { id: 'r1', startedAt: 1_700_000_000_000 };

  it('sseRunEvents: each value is one event, nothing is added at the end', () => {
    const encoder = sseRunEvents.encoder(run);
    expect(encoder.encode('a')).toEqual(['a']);
    const envelope = sseEvent({ event: 'token', data: 'b' });
    expect(encoder.encode(envelope)).toEqual([envelope]);
    expect(encoder.end('completed')).toEqual([]);
  });

  it('openAiChatCompletions(): text tokens become chunks, byte for byte, then a stop chunk and [DONE]', () => {
    const encoder = openAiChatCompletions({ model: 'gpt-test' }).encoder(run);
    const chunk = (delta: string, finish: string | null) =>
      `data: {"id":"chatcmpl-r1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-test","choices":[{"index":0,"delta":${delta},"finish_reason":${finish}}]}\n\n`;
    expect(wire([...encoder.encode('Hi'), ...encoder.encode('!'), ...encoder.end('completed')])).toBe(
      chunk('{"role":"assistant","content":"Hi"}', 'null') +
        chunk('{"content":"!"}', 'null') +
        chunk('{}', '"stop"') +
        'data: [DONE]\n\n',
    );
    expect(wire(openAiChatCompletions().encoder(run).end('cancelled'))).toBe('data: [DONE]\n\n');
    expect(
      wire(openAiChatCompletions().encoder(run).end('failed', { status: 500, message: 'Internal server error' })),
    ).toBe('data: {"error":{"message":"Internal server error","type":"server_error","code":500}}\n\ndata: [DONE]\n\n');
    expect(() => openAiChatCompletions({ model: '' })).toThrow(TypeError);
  });

  it('aiSdkUiMessageStream(): text tokens become a text part between start and finish, then [DONE]', () => {
    const encoder = aiSdkUiMessageStream().encoder(run);
    expect(wire([...encoder.encode('a'), ...encoder.encode('b'), ...encoder.end('completed')])).toBe(
      'data: {"type":"start"}\n\n' +
        'data: {"type":"text-start","id":"text-0"}\n\n' +
        'data: {"type":"text-delta","id":"text-0","delta":"a"}\n\n' +
        'data: {"type":"text-delta","id":"text-0","delta":"b"}\n\n' +
        'data: {"type":"text-end","id":"text-0"}\n\n' +
        'data: {"type":"finish"}\n\n' +
        'data: [DONE]\n\n',
    );
    const own = aiSdkUiMessageStream().encoder(run);
    expect(wire([...own.encode({ type: 'start' }), ...own.encode({ type: 'finish' }), ...own.end('completed')])).toBe(
      'data: {"type":"start"}\n\ndata: {"type":"finish"}\n\ndata: [DONE]\n\n',
    );
    expect(wire(aiSdkUiMessageStream().encoder(run).end('idle'))).toBe(
      'data: {"type":"abort","reason":"idle"}\n\ndata: [DONE]\n\n',
    );
    expect(wire(aiSdkUiMessageStream().encoder(run).end('failed', { status: 500, message: 'boom' }))).toBe(
      'data: {"type":"error","errorText":"boom"}\n\ndata: [DONE]\n\n',
    );
  });

  it('@RunStream() refuses what is not a preset, naming the option', () => {
    expect(() => RunStream('x', { preset: {} as SseRunPreset })).toThrow(/option "preset" must be an SseRunPreset/);
  });
});
