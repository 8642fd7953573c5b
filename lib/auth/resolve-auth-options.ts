import type { Type } from '@nestjs/common';
import { SSE_MESSAGES } from '../sse.messages.js';
import { assertEventNameOption } from '../options/resolve-stream-options.js';
import type { SseChannelAuthorizer } from '../hub/sse-channel-authorizer.interface.js';
import type { SseAuthOptions, SseCanJoinFunction } from './sse-auth-options.interface.js';
import type { SseTokenVerifier, SseVerifyFunction } from './sse-token-verifier.interface.js';
import { parseTokenSource, type ParsedTokenSource } from './token-sources.js';
import { resolveTicketOptions, type ResolvedSseTicketOptions } from './resolve-ticket-options.js';

/** Where the token is looked for when `auth.from` is not set: never a URL (query and path tokens are opt-in). */
const DEFAULT_TOKEN_SOURCES = ['header', 'cookie:sse_token'] as const;

/**
 * How a hook was given: a plain function, a class for Nest's DI to resolve,
 * or a ready instance.
 */
export type AuthHook<Fn, Contract> =
  { type: 'function'; fn: Fn } | { type: 'class'; class: Type<Contract> } | { type: 'instance'; instance: Contract };

/** The auth options with defaults filled in and every hook classified. */
export interface ResolvedSseAuthOptions {
  /** Whether `auth` was given at all. */
  configured: boolean;
  /** `auth.from`, parsed, in order. */
  from: ParsedTokenSource[];
  /** `auth.verify` or `auth.verifier`, whichever is set. */
  verifier: AuthHook<SseVerifyFunction, SseTokenVerifier> | undefined;
  /** `auth.canJoin`. */
  canJoin: AuthHook<SseCanJoinFunction, SseChannelAuthorizer> | undefined;
  /** `auth.expiredEventName` (deprecated: the final word `auth-expired` is named by `endEventName`), checked, if set. */
  expiredEventName: string | undefined;
  /** `auth.allowCookieOnPost.origins`, checked: empty when cookies authenticate GET and HEAD requests only. */
  cookieOnPostOrigins: ReadonlySet<string>;
  /** `auth.tickets`, checked; `undefined` when tickets are off. */
  tickets: ResolvedSseTicketOptions | undefined;
}

/** A class whose prototype has `method`. */
function isClassWith(value: unknown, method: string): value is Type {
  return (
    typeof value === 'function' &&
    typeof (value as { prototype?: Record<string, unknown> }).prototype?.[method] === 'function'
  );
}

/** An object that has `method`. */
function isInstanceWith(value: unknown, method: string): boolean {
  return (
    typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)[method] === 'function'
  );
}

/** An ES class (which cannot be called as a function). */
function isClass(value: unknown): boolean {
  return typeof value === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(value));
}

/** How a hook was given; `undefined` when it is none of the accepted forms. */
function classify<Fn, Contract>(
  value: unknown,
  method: string,
  allowFunction: boolean,
): AuthHook<Fn, Contract> | undefined {
  if (isClassWith(value, method)) return { type: 'class', class: value as Type<Contract> };
  if (isInstanceWith(value, method)) return { type: 'instance', instance: value as Contract };
  if (allowFunction && typeof value === 'function' && !isClass(value)) {
    return { type: 'function', fn: value as Fn };
  }
  return undefined;
}

function invalid(option: string, value: unknown, expected: string): Error {
  return new Error(SSE_MESSAGES.invalidOption(option, value, expected));
}

/** How a hook option was given; throws naming the option and the accepted forms when it is none of them. */
function hookOption<Fn, Contract>(
  option: string,
  value: unknown,
  method: string,
  allowFunction: boolean,
  expected: string,
): AuthHook<Fn, Contract> {
  const hook = classify<Fn, Contract>(value, method, allowFunction);
  if (!hook) throw invalid(option, value, expected);
  return hook;
}

/** Validates `auth` (naming the first bad option) and fills in the defaults. */
export function resolveAuthOptions(options: SseAuthOptions | undefined): ResolvedSseAuthOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw invalid('auth', options, 'an object ({ from, verify, canJoin, ... })');
  }
  const auth = options ?? {};

  const entries: unknown = auth.from ?? DEFAULT_TOKEN_SOURCES;
  if (!Array.isArray(entries) || entries.length === 0) {
    throw invalid('auth.from', entries, "a non-empty array such as ['header', 'cookie:sse_token']");
  }
  const from = entries.map((entry: unknown, index) => {
    const source = parseTokenSource(entry);
    if (!source) {
      throw invalid(
        `auth.from[${index}]`,
        entry,
        "'header', 'header:<name>', 'cookie:<name>', 'query:<name>' or 'param:<name>'",
      );
    }
    return source;
  });

  if (auth.verify !== undefined && auth.verifier !== undefined) {
    throw new Error(SSE_MESSAGES.authVerifyAndVerifier());
  }
  let verifier: ResolvedSseAuthOptions['verifier'];
  if (auth.verify !== undefined) {
    verifier = hookOption(
      'auth.verify',
      auth.verify,
      'verify',
      true,
      'a function (token, request) => user | null, or a class or instance implementing SseTokenVerifier',
    );
  } else if (auth.verifier !== undefined) {
    verifier = hookOption(
      'auth.verifier',
      auth.verifier,
      'verify',
      false,
      'a class implementing SseTokenVerifier (with a verify() method), or an instance of one',
    );
  }

  const canJoin: ResolvedSseAuthOptions['canJoin'] =
    auth.canJoin === undefined
      ? undefined
      : hookOption(
          'auth.canJoin',
          auth.canJoin,
          'canJoin',
          true,
          'a function (user, channel) => boolean, or a class or instance implementing SseChannelAuthorizer',
        );

  const expiredEventName = auth.expiredEventName;
  assertEventNameOption('auth.expiredEventName', expiredEventName);

  const cookieOnPostOrigins = resolveCookieOnPostOrigins(auth.allowCookieOnPost);

  const tickets = resolveTicketOptions(auth.tickets, from);

  return { configured: options !== undefined, from, verifier, canJoin, expiredEventName, cookieOnPostOrigins, tickets };
}

/** Whether `value` is an origin as a browser serializes it in the `Origin` header (`scheme://host[:port]`). */
function isSerializedOrigin(value: unknown): value is string {
  if (typeof value !== 'string' || value === 'null') return false;
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

/** `auth.allowCookieOnPost`, checked: the set of its origins (empty when it is not set). */
function resolveCookieOnPostOrigins(option: unknown): ReadonlySet<string> {
  if (option === undefined) return new Set();
  const origins: unknown = (option as { origins?: unknown } | null)?.origins;
  if (typeof option !== 'object' || option === null || !Array.isArray(origins) || origins.length === 0) {
    throw invalid(
      'auth.allowCookieOnPost',
      option,
      "an object with a non-empty origins array, e.g. { origins: ['https://app.example.com'] }",
    );
  }
  origins.forEach((origin: unknown, index) => {
    if (!isSerializedOrigin(origin)) {
      throw invalid(
        `auth.allowCookieOnPost.origins[${index}]`,
        origin,
        "an origin as browsers send it in the Origin header (scheme://host[:port], lower case, no path and no trailing slash), e.g. 'https://app.example.com'",
      );
    }
  });
  return new Set(origins as string[]);
}
