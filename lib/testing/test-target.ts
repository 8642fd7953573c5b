import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { TESTING_MESSAGES } from './testing.messages.js';

/** Where a test stream goes: the app's base URL, and whether it must speak HTTP/2. */
export interface ResolvedTarget {
  /** `http://127.0.0.1:<port>` or `https://...`, without a trailing slash. */
  baseUrl: string;
  http2: boolean;
}

/** The server of a Nest app, as far as the kit reads it (node:http, node:https or node:http2). */
interface ListeningServer {
  address(): AddressInfo | string | null;
  /** Only HTTP/2 servers (`Http2Server`, `Http2SecureServer`) have it. */
  updateSettings?: unknown;
}

/** Whether `value` is a Nest application (it has `getHttpServer()`). */
function isApp(value: unknown): value is INestApplication {
  return typeof (value as { getHttpServer?: unknown } | null)?.getHttpServer === 'function';
}

/** The host to connect to for the address a server listens on: a wildcard address means this machine. */
function hostOf(address: AddressInfo): string {
  // Node listens on `::` dual-stack by default: IPv4 loopback reaches it too.
  if (address.address === '0.0.0.0' || address.address === '::' || address.address === '') return '127.0.0.1';
  return address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
}

/**
 * Reads where a listening app is and what it speaks, from its server:
 * node:http is HTTP/1.1 on `http:`, node:https HTTP/1.1 on `https:`, an
 * HTTP/2 server (Fastify with `http2: true`) HTTP/2 with prior knowledge on
 * `http:`, or over TLS (ALPN) on `https:`.
 */
export function resolveTarget(
  target: INestApplication | string,
  options: { http2?: boolean; host?: string },
): ResolvedTarget {
  if (typeof target === 'string') return { baseUrl: target.replace(/\/+$/, ''), http2: options.http2 ?? false };
  if (!isApp(target)) throw new TypeError(TESTING_MESSAGES.badTarget(target));
  const server = target.getHttpServer() as ListeningServer;
  const address = server.address();
  if (address === null) throw new Error(TESTING_MESSAGES.notListening());
  if (typeof address === 'string') throw new Error(TESTING_MESSAGES.pipeAddress(address));
  const secure = server instanceof tls.Server;
  const http2 = options.http2 ?? typeof server.updateSettings === 'function';
  return { baseUrl: `${secure ? 'https' : 'http'}://${options.host ?? hostOf(address)}:${address.port}`, http2 };
}
