import type { RedisOptions } from 'ioredis';
import { redactCredentials } from './redis-sse-failure.js';
import { REDIS_SSE_MESSAGES } from './redis-sse.messages.js';

/** A node of the cluster to start from, and the credentials and TLS of its URL. */
export interface RedisSseClusterNode {
  readonly host: string;
  readonly port: number;
  readonly options: Pick<RedisOptions, 'username' | 'password' | 'tls'>;
}

/** The node of a `redis://` or `rediss://` URL; a database other than 0 is refused (a cluster has only 0). Pure. */
export function clusterNodeOf(url: string): RedisSseClusterNode {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(REDIS_SSE_MESSAGES.invalidClusterUrl(redactCredentials(url)));
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TypeError(REDIS_SSE_MESSAGES.invalidClusterUrl(redactCredentials(url)));
  }
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && db !== '0') throw new TypeError(REDIS_SSE_MESSAGES.clusterDatabase(redactCredentials(url)));
  const options: { username?: string; password?: string; tls?: object } = {};
  if (parsed.username) options.username = decodeURIComponent(parsed.username);
  if (parsed.password) options.password = decodeURIComponent(parsed.password);
  if (parsed.protocol === 'rediss:') options.tls = {};
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  return { host, port: parsed.port ? Number(parsed.port) : 6379, options };
}
