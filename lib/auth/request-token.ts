import type { SseRequest } from '../stream/sse-client.interface.js';
import { readTokenSource, type ParsedTokenSource } from './token-sources.js';

/**
 * What `findRequestToken()` found: the token and its source, or the first
 * source that held a token this request may not use (and why), or nothing.
 */
export type RequestTokenLookup =
  { token: string; source: ParsedTokenSource } | { ignored: ParsedTokenSource; why: 'method' | 'origin' } | undefined;

/** The methods a cookie, query or path token may authenticate: those a cross-site form cannot send with a body. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/** Whether `request` is a `GET` or a `HEAD`: the only requests a cookie, a URL token or a ticket may authenticate. */
export function isSafeMethod(request: SseRequest): boolean {
  return request.method !== undefined && SAFE_METHODS.has(request.method.toUpperCase());
}

/** Whether `source` is a header: the only kind a cross-site form cannot set and a URL does not carry. */
function isHeaderSource(source: ParsedTokenSource): boolean {
  return source.kind === 'bearer' || source.kind === 'header';
}

/** The `Origin` header of a request, if it has exactly one. */
function originOf(request: SseRequest): string | undefined {
  const origin = request.headers.origin;
  return typeof origin === 'string' ? origin : undefined;
}

/**
 * The token of the first source in `sources`, in order, that holds one and
 * that this request may use (even an empty one: the first such source
 * decides). `GET` and `HEAD` requests may use every source. Other methods
 * (a `POST` event stream) only header sources, and cookie sources when the
 * request's `Origin` is exactly one of `cookieOnPostOrigins`: a cross-site
 * form sends the user's cookies, and a URL lands in logs. A token in a source
 * skipped that way is never used; the first such source is reported when no
 * usable source holds a token, so that the refusal can say what was ignored.
 */
export function findRequestToken(
  request: SseRequest,
  sources: readonly ParsedTokenSource[],
  cookieOnPostOrigins: ReadonlySet<string>,
): RequestTokenLookup {
  const safe = isSafeMethod(request);
  let ignored: { ignored: ParsedTokenSource; why: 'method' | 'origin' } | undefined;
  for (const source of sources) {
    const token = readTokenSource(request, source);
    if (token === undefined) continue;
    if (safe || isHeaderSource(source)) return { token, source };
    if (source.kind === 'cookie' && cookieOnPostOrigins.size > 0) {
      const origin = originOf(request);
      if (origin !== undefined && cookieOnPostOrigins.has(origin)) return { token, source };
      ignored ??= { ignored: source, why: 'origin' };
      continue;
    }
    ignored ??= { ignored: source, why: 'method' };
  }
  return ignored;
}

/** How a client should send its token instead, for a refusal's message: the first header source of `sources`. */
export function headerSourceHint(sources: readonly ParsedTokenSource[]): string | undefined {
  const header = sources.find(isHeaderSource);
  if (!header) return undefined;
  return header.kind === 'bearer' ? 'the Authorization: Bearer header' : `the ${header.name} header`;
}
