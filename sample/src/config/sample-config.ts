/**
 * The sample's configuration, read from the environment in one place and
 * checked at startup: every bad variable is reported at once, with its value
 * and what is expected.
 */
export interface SampleConfig {
  /** `PORT` (3000). */
  port: number;
  /** `HOST` (`0.0.0.0`). */
  host: string;
  /** `TICK_MS` (2000): period of the scheduled `tick` broadcast. */
  tickMs: number;
  /** `CLOCK_MS` (1000): period of each clock stream's `time` event. */
  clockMs: number;
  /** `JOB_MS` (5000): how long a simulated job runs. */
  jobMs: number;
  /** `JOBS_PER_USER` (3): jobs one user may have running at once. */
  jobsPerUser: number;
  /** `POST_LIMIT` (20): POSTs one user may send per `POST_WINDOW_MS`, all POST routes together. */
  postLimit: number;
  /** `POST_WINDOW_MS` (10000): the window of `POST_LIMIT`. */
  postWindowMs: number;
  /**
   * `SIGN_OUT_MS` (60000): how long the tokens of a user who signed out
   * everywhere are refused. The demo tokens never expire, so this stands in
   * for "until the token would have expired" (a real app keeps a revoked
   * session until its token's `exp`: docs/lifecycle.md); after it, the demo
   * token works again.
   */
  signOutMs: number;
  /**
   * `ASSISTANT_TOKEN_MS` (60): the pause before each word of the assistant
   * panel's answer, from the deterministic demo text generator (no model).
   */
  assistantTokenMs: number;
  /** `SSE_TOKENS` (`demo:demo-token`): token to user id. */
  tokens: Map<string, string>;
  /**
   * `SSE_BROKER_URL` (or `SSE_REDIS_URL`, the older name, for a Redis URL):
   * when set, the hub runs on that broker, picked by its scheme: `redis://`
   * or `rediss://` (a Redis Cluster is detected), `postgres://` or
   * `postgresql://`, `nats://`. In memory when neither is set.
   */
  brokerUrl: string | undefined;
  /** The broker `brokerUrl` names. */
  broker: SampleBrokerKind;
  /** `SSE_REDIS_PREFIX` (`sse:`): the namespace of keys and Pub/Sub channels; one per app on a shared Redis. */
  redisPrefix: string;
  /** `SSE_NAMESPACE` (`sse`): the namespace of the PostgreSQL and NATS brokers; one per app on a shared server. */
  namespace: string;
  /** `CORS_ORIGINS`: origins allowed to call the API with credentials. */
  corsOrigins: string[];
  /** `PLATFORM` (`express`): `express` or `fastify`; `fastify` when `HTTP2=1`. */
  platform: 'express' | 'fastify';
  /** `HTTP2=1`: HTTP/2 over TLS (with HTTP/1.1 for clients without it), on Fastify. */
  http2: boolean;
  /** `TLS_KEY_FILE` and `TLS_CERT_FILE` (`sample/certs/dev-key.pem`, `sample/certs/dev-cert.pem`): the certificate for `HTTP2=1`. */
  tls: { keyFile: string; certFile: string };
}

/** Where the hub's events travel: this process only, or a broker. */
export type SampleBrokerKind = 'memory' | 'redis' | 'postgres' | 'nats';

/** The broker of each URL scheme `SSE_BROKER_URL` may have. */
const BROKER_SCHEMES: Record<string, Exclude<SampleBrokerKind, 'memory'>> = {
  redis: 'redis',
  rediss: 'redis',
  postgres: 'postgres',
  postgresql: 'postgres',
  nats: 'nats',
};

/** The environment variables the sample reads. */
export type SampleEnv = Record<string, string | undefined>;

export class SampleConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid sample configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'SampleConfigError';
  }
}

const MAX_TIMER_MS = 2 ** 31 - 1;
/** Jobs running at once, for the whole process: a demo must not be turned into a timer bomb. */
export const MAX_RUNNING_JOBS = 100;
/** The slowest word of the assistant's demo answer: slower would look broken, and make runs go idle. */
export const MAX_ASSISTANT_TOKEN_MS = 10_000;
const USER_ID = /^[A-Za-z0-9_.@-]{1,64}$/;
/** Tokens travel in headers, cookies, query strings and paths: URL-unreserved characters only. */
const TOKEN = /^[A-Za-z0-9._~-]{1,512}$/;

/** Reads and validates the sample's environment; throws `SampleConfigError` listing every problem. */
export function parseSampleConfig(env: SampleEnv): SampleConfig {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const integer = (name: string, fallback: number, min: number, max: number, what: string): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(`${name}=${JSON.stringify(raw)}: expected ${what} from ${min} to ${max}.`);
      return fallback;
    }
    return value;
  };

  const port = integer('PORT', 3000, 0, 65535, 'a port number');
  const host = read('HOST') ?? '0.0.0.0';
  const tickMs = integer('TICK_MS', 2000, 1, MAX_TIMER_MS, 'milliseconds');
  const clockMs = integer('CLOCK_MS', 1000, 1, MAX_TIMER_MS, 'milliseconds');
  const jobMs = integer('JOB_MS', 5000, 10, MAX_TIMER_MS, 'milliseconds');
  const jobsPerUser = integer('JOBS_PER_USER', 3, 1, MAX_RUNNING_JOBS, 'jobs');
  const postLimit = integer('POST_LIMIT', 20, 1, 1_000_000, 'requests');
  const postWindowMs = integer('POST_WINDOW_MS', 10_000, 1000, 86_400_000, 'milliseconds');
  const signOutMs = integer('SIGN_OUT_MS', 60_000, 1, 86_400_000, 'milliseconds');
  const assistantTokenMs = integer('ASSISTANT_TOKEN_MS', 60, 1, MAX_ASSISTANT_TOKEN_MS, 'milliseconds');

  const tokens = new Map<string, string>();
  for (const pair of list(read('SSE_TOKENS') ?? 'demo:demo-token')) {
    const colon = pair.indexOf(':');
    const user = colon < 0 ? '' : pair.slice(0, colon);
    const token = colon < 0 ? '' : pair.slice(colon + 1);
    if (!USER_ID.test(user) || !TOKEN.test(token)) {
      problems.push(
        `SSE_TOKENS entry ${JSON.stringify(redactPair(pair))}: expected user:token, the user 1-64 of A-Z a-z 0-9 _ . @ -, ` +
          'the token 1-512 of A-Z a-z 0-9 . _ ~ -.',
      );
    } else if (tokens.has(token)) {
      problems.push(
        `SSE_TOKENS: the token of user ${JSON.stringify(user)} is also given to ${JSON.stringify(tokens.get(token))}.`,
      );
    } else {
      tokens.set(token, user);
    }
  }
  if (tokens.size === 0 && problems.length === 0) problems.push('SSE_TOKENS: expected at least one user:token pair.');

  const redisUrl = read('SSE_REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\/[^\s]+$/.test(redisUrl)) {
    problems.push(`SSE_REDIS_URL: expected a redis:// or rediss:// URL.`);
  }
  const brokerUrl = read('SSE_BROKER_URL') ?? redisUrl;
  const scheme = brokerUrl === undefined ? undefined : /^([a-z]+):\/\/[^\s]+$/.exec(brokerUrl)?.[1];
  const broker: SampleBrokerKind = brokerUrl === undefined ? 'memory' : (BROKER_SCHEMES[scheme ?? ''] ?? 'memory');
  if (brokerUrl !== undefined && broker === 'memory') {
    problems.push('SSE_BROKER_URL: expected a redis://, rediss://, postgres://, postgresql:// or nats:// URL.');
  }
  if (redisUrl !== undefined && read('SSE_BROKER_URL') !== undefined && read('SSE_BROKER_URL') !== redisUrl) {
    problems.push('SSE_REDIS_URL and SSE_BROKER_URL are both set, to different URLs: set SSE_BROKER_URL only.');
  }
  const namespace = read('SSE_NAMESPACE') ?? 'sse';
  if (!/^[a-z0-9_]{1,32}$/.test(namespace)) {
    problems.push(`SSE_NAMESPACE=${JSON.stringify(namespace)}: expected 1 to 32 of a-z 0-9 _.`);
  }
  const redisPrefix = read('SSE_REDIS_PREFIX') ?? 'sse:';
  if (!/^[A-Za-z0-9\-_.:/@{}]{1,100}$/.test(redisPrefix)) {
    problems.push(`SSE_REDIS_PREFIX=${JSON.stringify(redisPrefix)}: expected 1 to 100 of A-Z a-z 0-9 - _ . : / @ { }.`);
  }

  const corsOrigins: string[] = [];
  for (const origin of list(read('CORS_ORIGINS') ?? '')) {
    if (origin === '*') {
      problems.push(`CORS_ORIGINS: '*' cannot be used with credentials; list each origin (https://app.example.com).`);
    } else if (!isOrigin(origin)) {
      problems.push(
        `CORS_ORIGINS entry ${JSON.stringify(origin)}: expected an origin such as https://app.example.com (scheme, host and optional port, no path).`,
      );
    } else {
      corsOrigins.push(origin);
    }
  }

  const http2 = read('HTTP2') === '1';
  const platformName = read('PLATFORM') ?? (http2 ? 'fastify' : 'express');
  const platform = platformName === 'express' || platformName === 'fastify' ? platformName : 'express';
  if (platform !== platformName) {
    problems.push(`PLATFORM=${JSON.stringify(platformName)}: expected express or fastify.`);
  } else if (http2 && platform === 'express') {
    problems.push(
      'HTTP2=1 with PLATFORM=express: Express cannot serve HTTP/2; use PLATFORM=fastify (the default with HTTP2=1).',
    );
  }
  const tls = {
    keyFile: read('TLS_KEY_FILE') ?? 'sample/certs/dev-key.pem',
    certFile: read('TLS_CERT_FILE') ?? 'sample/certs/dev-cert.pem',
  };

  if (problems.length > 0) throw new SampleConfigError(problems);
  return {
    port,
    host,
    tickMs,
    clockMs,
    jobMs,
    jobsPerUser,
    postLimit,
    postWindowMs,
    signOutMs,
    assistantTokenMs,
    tokens,
    brokerUrl,
    broker,
    redisPrefix,
    namespace,
    corsOrigins,
    platform,
    http2,
    tls,
  };
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

/** A token never reaches a log line, even a wrong one. */
function redactPair(pair: string): string {
  const colon = pair.indexOf(':');
  return colon < 0 ? '[redacted]' : `${pair.slice(0, colon)}:[redacted]`;
}
