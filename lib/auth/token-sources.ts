import type { SseRequest } from '../stream/sse-client.interface.js';

/** Longest token accepted (8 KiB); longer ones are refused without calling the verifier. */
export const MAX_TOKEN_LENGTH = 8192;

/** A parsed `auth.from` entry. */
export interface ParsedTokenSource {
  kind: 'bearer' | 'header' | 'cookie' | 'query' | 'param';
  /** Header (lower-cased), cookie, query or route parameter name; `authorization` for `bearer`. */
  name: string;
  /** The entry as written, for messages. */
  label: string;
}

/** An HTTP token (RFC 9110): header and cookie names. */
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Whether `text` has whitespace or control characters (C0, space, DEL, C1): never part of a token. */
function hasNonTokenChar(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}
const BEARER = /^Bearer +(.*)$/is;

/**
 * Parses one `auth.from` entry. Returns `undefined` when it is not one of
 * `'header'`, `'header:<name>'`, `'cookie:<name>'`, `'query:<name>'`, `'param:<name>'`.
 */
export function parseTokenSource(entry: unknown): ParsedTokenSource | undefined {
  if (typeof entry !== 'string') return undefined;
  if (entry === 'header') return { kind: 'bearer', name: 'authorization', label: entry };
  const colon = entry.indexOf(':');
  if (colon < 0) return undefined;
  const kind = entry.slice(0, colon);
  const name = entry.slice(colon + 1);
  if (name.length === 0 || name.length > 256) return undefined;
  switch (kind) {
    case 'header':
      return HTTP_TOKEN.test(name) ? { kind: 'header', name: name.toLowerCase(), label: entry } : undefined;
    case 'cookie':
      return HTTP_TOKEN.test(name) ? { kind: 'cookie', name, label: entry } : undefined;
    case 'query':
    case 'param':
      return hasNonTokenChar(name) ? undefined : { kind, name, label: entry };
    default:
      return undefined;
  }
}

/**
 * The value of cookie `name` in a `Cookie` header (the first one, if repeated),
 * percent-decoded when it is valid percent-encoding; `undefined` if absent.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals < 0 || pair.slice(0, equals).trim() !== name) continue;
    let value = pair.slice(equals + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return decode(value);
  }
  return undefined;
}

/** `value` percent-decoded, or as it is when it is not valid percent-encoding. */
function decode(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The token of an `Authorization: Bearer <token>` header (`''` for `Bearer` alone); `undefined` for other schemes. */
export function readBearer(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (/^bearer$/i.test(header.trim())) return '';
  return BEARER.exec(header)?.[1];
}

function headerValue(request: SseRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function queryValue(request: SseRequest, name: string): string | undefined {
  const url = (request as { originalUrl?: string }).originalUrl ?? request.url ?? '';
  const question = url.indexOf('?');
  if (question < 0) return undefined;
  const value = new URLSearchParams(url.slice(question + 1)).get(name);
  return value ?? undefined;
}

/** Reads one source; `undefined` when it holds nothing. */
export function readTokenSource(request: SseRequest, source: ParsedTokenSource): string | undefined {
  switch (source.kind) {
    case 'bearer':
      return readBearer(headerValue(request, source.name));
    case 'header':
      return headerValue(request, source.name);
    case 'cookie':
      return readCookie(headerValue(request, 'cookie'), source.name);
    case 'query':
      return queryValue(request, source.name);
    case 'param': {
      const value = request.params?.[source.name];
      return typeof value === 'string' ? value : undefined;
    }
  }
}

/** 1 to `MAX_TOKEN_LENGTH` characters, none of them whitespace or control characters. */
export function isWellFormedToken(token: unknown): token is string {
  return typeof token === 'string' && token.length > 0 && token.length <= MAX_TOKEN_LENGTH && !hasNonTokenChar(token);
}

/**
 * `text` with every occurrence of `secret` (and of its percent-encoded form)
 * replaced by `[redacted]`, so a token never reaches a log line.
 */
export function redact(text: string, secret: string | undefined): string {
  if (!secret) return text;
  let out = text;
  for (const form of new Set([secret, encodeURIComponent(secret)])) {
    out = out.split(form).join('[redacted]');
  }
  return out;
}
