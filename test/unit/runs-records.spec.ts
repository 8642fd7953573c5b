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
import {
  cancelKey,
  decodeRecord,
  encodeRecord,
  endKey,
  runStateOf,
  type RunRecord,
} from '../../lib/runs/run-records.js';
import { beatIntervalMs, lostAfterMs, tickMs } from '../../lib/runs/run-timing.js';
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
      event(3, { t: 'cancel', at: 3, s: 'e1.1' }),
      event(4, { t: 'end', o: 'cancelled', last: 'e1.3', at: 4, exp: 9, s: 'e1.1', n: 'first' }),
      event(5, { t: 'end', o: 'completed', last: 'e1.5', at: 5, exp: 9, s: 'e1.1', n: 'first' }),
    ]);
    expect(state).toEqual({
      startId: 'e1.1',
      nonce: 'first',
      cancelled: true,
      end: { outcome: 'cancelled', last: 'e1.3', expiresAt: 9, error: undefined },
      last: 'e1.1',
      newest: 4,
    });
    expect(runStateOf([event(1, { t: 'cancel', at: 1 })])).toBeUndefined();
  });

  it('tell the state from a beat or an end alone, once older records were evicted', () => {
    expect(runStateOf([event(7, { t: 'beat', s: 'e1.1', n: 'first', last: 'e1.6', at: 7 })])).toEqual({
      startId: 'e1.1',
      nonce: 'first',
      cancelled: false,
      end: undefined,
      last: 'e1.6',
      newest: 7,
    });
    const end: RunRecord = { t: 'end', o: 'completed', last: 'e1.8', at: 9, exp: 99, s: 'e1.1', n: 'first' };
    expect(runStateOf([event(9, end)])).toMatchObject({
      startId: 'e1.1',
      nonce: 'first',
      end: { outcome: 'completed', last: 'e1.8', expiresAt: 99 },
    });
    // An end without the run's name (an older version's) tells nothing on its own.
    expect(runStateOf([event(9, { t: 'end', o: 'completed', last: 'e1.8', at: 9, exp: 99 })])).toBeUndefined();
  });

  it('ignore records of another run with the same id (another nonce or start), and beats after the end', () => {
    const state = runStateOf([
      event(1, { t: 'start', n: 'mine', at: 1 }),
      event(2, { t: 'beat', s: 'e1.1', n: 'mine', last: 'e1.2', at: 2 }),
      event(3, { t: 'beat', s: 'e1.9', n: 'theirs', last: 'e1.10', at: 3 }),
      event(4, { t: 'cancel', at: 4, s: 'e1.9' }),
      event(5, { t: 'end', o: 'failed', last: 'e1.10', at: 5, exp: 9, s: 'e1.9', n: 'theirs' }),
      event(6, { t: 'end', o: 'completed', last: 'e1.2', at: 6, exp: 9, s: 'e1.1', n: 'mine' }),
      event(7, { t: 'beat', s: 'e1.1', n: 'mine', last: 'e1.7', at: 7 }),
    ]);
    expect(state).toMatchObject({ startId: 'e1.1', nonce: 'mine', cancelled: false, last: 'e1.2', newest: 6 });
    expect(state?.end?.outcome).toBe('completed');
  });

  it('have idempotency keys of their own run: a reused id never shares its cancel or end key', () => {
    expect(endKey('n1')).toBe('end:n1');
    expect(endKey('n1')).not.toBe(endKey('n2'));
    expect(cancelKey('e1.1')).toBe('cancel:e1.1');
    expect(cancelKey('e1.1')).not.toBe(cancelKey('e1.5'));
  });
});

describe('run timing', () => {
  it('records a running run again every third of idleTimeoutMs (100 ms to 20 s), and takes it for lost after three and 2 s', () => {
    expect(beatIntervalMs({ idleTimeoutMs: 60_000 })).toBe(20_000);
    expect(beatIntervalMs({ idleTimeoutMs: 30_000 })).toBe(10_000);
    expect(beatIntervalMs({ idleTimeoutMs: 90 })).toBe(100);
    expect(beatIntervalMs({ idleTimeoutMs: 0 })).toBe(20_000);
    expect(lostAfterMs({ idleTimeoutMs: 30_000 })).toBe(32_000);
    expect(tickMs({ idleTimeoutMs: 300 })).toBe(25);
    expect(tickMs({ idleTimeoutMs: 0 })).toBe(1000);
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
    expect(runFinalWord({ outcome: 'lost', last: 'e.1', expiresAt: 0 })).toEqual({
      reason: 'error',
      details: { status: 503, message: 'Service Unavailable', outcome: 'lost' },
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
    expect(() => openAiChatCompletions({ model: '' })).toThrow(
      new TypeError('openAiChatCompletions(): option "model" must be a non-empty string, got "".'),
    );
  });

  it('openAiChatCompletions(): a value that is no string or chunk object is a TypeError naming what it takes', () => {
    const encoder = openAiChatCompletions().encoder(run);
    for (const [bad, shown] of [
      [null, 'null'],
      [['a'], 'an array'],
      [42, 'number 42'],
    ] as const) {
      expect(() => encoder.encode(bad)).toThrow(
        new TypeError(
          `openAiChatCompletions(): a run's producer must yield strings (text tokens) or ChatCompletionChunk objects, got ${shown}.`,
        ),
      );
    }
  });

  it('openAiChatCompletions(): an early end is an error chunk its SDK throws on; a lost run also ends with [DONE]', () => {
    const preset = openAiChatCompletions();
    expect(wire(preset.interrupted!('shutdown'))).toBe(
      'data: {"error":{"message":"The stream was interrupted (the server is restarting); reconnect with Last-Event-ID to resume.","type":"stream_interrupted","code":503}}\n\n',
    );
    expect(wire(preset.interrupted!('lost'))).toMatch(/"type":"run_lost","code":503\}\}\n\ndata: \[DONE\]\n\n$/);
    expect(wire(preset.encoder(run).end('lost'))).toBe(
      'data: {"error":{"message":"The run ended: lost.","type":"run_lost","code":null}}\n\ndata: [DONE]\n\n',
    );
  });

  it('aiSdkUiMessageStream(): text tokens become a text part between start and finish, then [DONE]', () => {
    const encoder = aiSdkUiMessageStream().encoder(run);
    expect(wire([...encoder.encode('a'), ...encoder.encode('b'), ...encoder.end('completed')])).toBe(
      'data: {"type":"start","messageId":"r1"}\n\n' +
        'data: {"type":"text-start","id":"text-0"}\n\n' +
        'data: {"type":"text-delta","id":"text-0","delta":"a"}\n\n' +
        'data: {"type":"text-delta","id":"text-0","delta":"b"}\n\n' +
        'data: {"type":"text-end","id":"text-0"}\n\n' +
        'data: {"type":"finish"}\n\n' +
        'data: [DONE]\n\n',
    );
    const own = aiSdkUiMessageStream().encoder(run);
    expect(wire([...own.encode({ type: 'start' }), ...own.encode({ type: 'finish' }), ...own.end('completed')])).toBe(
      'data: {"type":"start","messageId":"r1"}\n\ndata: {"type":"finish"}\n\ndata: [DONE]\n\n',
    );
    expect(wire(aiSdkUiMessageStream().encoder(run).encode({ type: 'start', messageId: 'm0' }))).toBe(
      'data: {"type":"start","messageId":"m0"}\n\n',
    );
    expect(wire(aiSdkUiMessageStream().encoder(run).end('idle'))).toBe(
      'data: {"type":"abort","reason":"idle"}\n\ndata: [DONE]\n\n',
    );
    expect(wire(aiSdkUiMessageStream().encoder(run).end('failed', { status: 500, message: 'boom' }))).toBe(
      'data: {"type":"error","errorText":"boom"}\n\ndata: [DONE]\n\n',
    );
  });

  it('aiSdkUiMessageStream(): messageId is a string or a function of the run; a bad one is a TypeError', () => {
    expect(wire(aiSdkUiMessageStream({ messageId: 'answer-1' }).encoder(run).encode('x'))).toMatch(
      /^data: \{"type":"start","messageId":"answer-1"\}/,
    );
    expect(
      wire(
        aiSdkUiMessageStream({ messageId: ({ id }) => `msg-${id}` })
          .encoder(run)
          .encode('x'),
      ),
    ).toMatch(/^data: \{"type":"start","messageId":"msg-r1"\}/);
    const message =
      'aiSdkUiMessageStream(): option "messageId" must be a non-empty string or a function of the run that returns one, got "".';
    expect(() => aiSdkUiMessageStream({ messageId: '' })).toThrow(new TypeError(message));
    expect(() => aiSdkUiMessageStream({ messageId: () => '' }).encoder(run)).toThrow(new TypeError(message));
  });

  it('aiSdkUiMessageStream(): a value that is no string or chunk is a TypeError (no "[object Object]" text)', () => {
    const encoder = aiSdkUiMessageStream().encoder(run);
    expect(() => encoder.encode({ text: 'no type' })).toThrow(
      new TypeError(
        'aiSdkUiMessageStream(): a run\'s producer must yield strings (text tokens) or UI message chunks (objects with a string "type"), got an object.',
      ),
    );
    expect(() => encoder.encode(7)).toThrow(/got number 7\.$/);
  });

  it('aiSdkUiMessageStream(): an early end is an error chunk; a lost run also ends with [DONE]', () => {
    const preset = aiSdkUiMessageStream();
    expect(wire(preset.interrupted!('unavailable'))).toBe(
      'data: {"type":"error","errorText":"The stream was interrupted (the recording could not be read); reconnect with Last-Event-ID to resume."}\n\n',
    );
    expect(wire(preset.interrupted!('lost'))).toMatch(/^data: \{"type":"error",.*\n\ndata: \[DONE\]\n\n$/);
    expect(wire(preset.encoder(run).end('lost'))).toBe(
      'data: {"type":"error","errorText":"The run ended: lost."}\n\ndata: [DONE]\n\n',
    );
  });

  it('@RunStream() refuses what is not a preset, naming the option', () => {
    expect(() => RunStream('x', { preset: {} as SseRunPreset })).toThrow(/option "preset" must be an SseRunPreset/);
  });
});
