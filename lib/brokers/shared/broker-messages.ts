import { formatValue, SSE_MESSAGES } from '../../sse.messages.js';

/** What an operation does in the service that a client cares about if it may have happened: none (a read, a join), a publish, a send. */
export type BrokerEffect = 'publish' | 'send' | undefined;

/**
 * The sentences every broker says the same way, built for one broker:
 * `broker` is its class (`RedisSseBroker`), `service` what it talks to
 * (`Redis`: the logs say `No connection to Redis`, `Reconnected to Redis`).
 * Each broker's messages file spreads them and adds its own. Pure.
 *
 * @example
 * const MESSAGES = { ...brokerMessages('PostgresSseBroker', 'PostgreSQL'), urlAndPool: () => '...' } as const;
 */
export function brokerMessages(broker: string, service: string) {
  const lock = broker.replace(/Broker$/, 'ScheduleLock');
  return {
    invalidOption: (option: string, value: unknown, expected: string) =>
      SSE_MESSAGES.invalidOption(`${broker} ${option}`, value, expected),
    notConnected: (operation: string) =>
      `nestjs-event-stream: ${broker} cannot ${operation} before connect(). SseModule connects it when the app starts; pass it as \`broker\` in SseModule.forRoot().`,
    closed: (operation: string) =>
      `nestjs-event-stream: ${broker} cannot ${operation}: it was closed (the app is shutting down).`,
    alreadyConnected: () =>
      `nestjs-event-stream: ${broker}.connect() was called twice; one broker serves one hub. Give each SseModule its own broker.`,
    unavailable: (operation: string, target: string, reason: string) =>
      `${broker}: ${service} at ${target} is unavailable (${reason}); could not ${operation}. Nothing was sent; local streams stay open. Retry once ${service} is back.`,
    unanswered: (operation: string, target: string, reason: string, effect: BrokerEffect) =>
      `${broker}: ${service} at ${target} did not answer (${reason}) when asked to ${operation}${
        effect === 'publish'
          ? ': the event may have been published all the same (stored and delivered). Retry with the same idempotencyKey to publish it at most once.'
          : effect === 'send'
            ? ': the message may have been delivered all the same.'
            : `; local streams stay open. Retry once ${service} answers again.`
      }`,
    /** What a 503 tells clients: no server, address or internal error in it. */
    publicUnavailable: (seconds: number, effect: BrokerEffect, maybe: boolean) =>
      `Service temporarily unavailable${
        !effect
          ? ''
          : !maybe
            ? ': nothing was sent'
            : effect === 'publish'
              ? ': the event may have been published'
              : ': the message may have been delivered'
      }. Retry in ${seconds} ${seconds === 1 ? 'second' : 'seconds'}.`,
    refusing: (detail: string) =>
      `${detail} Requests that need ${service} are answered 503, without these details, until it answers again (logged once per reason).`,
    noAnswer: (ms: number) => `no answer within ${ms} ms`,
    connectionClosed: () => 'the connection closed',
    linkLost: (target: string, reason: string) =>
      `No connection to ${service} at ${target} (${reason}). Until it is back, publishing fails and events from other instances pause; local streams stay open. Reconnecting.`,
    linkRestored: (target: string) =>
      `Reconnected to ${service} at ${target}; streams are caught up on the events they missed.`,
    statusConnecting: (target: string, reason: string | undefined) =>
      `Connecting to ${service} at ${target}${reason ? ` (${reason})` : ''}: the broker has not been up yet.`,
    statusNotConnected: () => 'Not connected yet: SseModule connects the broker when the app starts.',
    statusClosed: () => 'The broker was closed (the app is shutting down).',
    startedWithout: (target: string, ms: number) =>
      `${service} at ${target} did not answer within ${ms} ms; the app starts without it and connects when ${service} is reachable. Publishing fails until then. Raise connectTimeoutMs to wait longer.`,
    invalidPublishOptions: (value: unknown) =>
      `nestjs-event-stream: ${broker}.publish(): the options must be an object ({ except?, idempotencyKey? }), got ${formatValue(value)}.`,
    invalidExcept: (value: unknown) =>
      `nestjs-event-stream: ${broker}: "except" must be a connection id (a string of at most 200 characters without line breaks), got ${formatValue(value)}.`,
    invalidPosition: (value: unknown) =>
      `nestjs-event-stream: ${broker}.read(): the position must be { epoch: [a-z0-9]{1,16}, seq: a safe integer >= 0 }, got ${formatValue(value)}.`,
    invalidChannels: (value: unknown) =>
      `nestjs-event-stream: ${broker}.read(): the channels must be an array of channel names, got ${formatValue(value)}.`,
    invalidLimit: (value: unknown, max: number) =>
      `nestjs-event-stream: ${broker}.read(): limit must be an integer from 1 to ${max}, got ${formatValue(value)}. Read a long history page by page, from the position of the last event returned.`,
    lockNeedsBroker: (value: unknown) =>
      `nestjs-event-stream: new ${lock}(broker) takes the app's ${broker}, got ${formatValue(value)}.`,
    invalidLockName: (value: unknown) =>
      `nestjs-event-stream: ${lock}.acquire(): the job name and tick key must make a string of 1 to 512 characters without control characters, got ${formatValue(value)}.`,
    invalidLockTtl: (value: unknown) =>
      `nestjs-event-stream: ${lock}.acquire(): ttlMs must be an integer >= 1, got ${formatValue(value)}.`,
  } as const;
}

/** The sentences of `brokerMessages()`. */
export type BrokerMessages = ReturnType<typeof brokerMessages>;
