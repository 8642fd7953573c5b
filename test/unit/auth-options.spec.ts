import { Injectable } from '@nestjs/common';
import { StaticTokenVerifier, type SseAuthOptions } from '../../lib/index.js';
import { resolveAuthOptions } from '../../lib/auth/resolve-auth-options.js';
import { resolveModuleOptions } from '../../lib/options/resolve-module-options.js';

@Injectable()
class ClassVerifier {
  verify() {
    return null;
  }
}

@Injectable()
class ClassAuthorizer {
  canJoin() {
    return true;
  }
}

class NoMethod {}

describe('resolveAuthOptions', () => {
  it('fills in the defaults, also when auth is not given', () => {
    const resolved = resolveAuthOptions(undefined);
    expect(resolved.configured).toBe(false);
    // Deprecated: the final word `auth-expired` is named by `endEventName` unless this is set.
    expect(resolved.expiredEventName).toBeUndefined();
    expect(resolved.verifier).toBeUndefined();
    expect(resolved.canJoin).toBeUndefined();
    expect(resolved.cookieOnPostOrigins.size).toBe(0);
  });

  it('keeps the deprecated expiredEventName when it is set', () => {
    expect(resolveAuthOptions({ expiredEventName: 'bye' }).expiredEventName).toBe('bye');
    expect(resolveModuleOptions({ auth: { expiredEventName: 'bye' } }).auth.expiredEventName).toBe('bye');
  });

  it('reads tokens from the Authorization header and the sse_token cookie by default, never from a URL', () => {
    expect(resolveAuthOptions(undefined).from.map((source) => source.label)).toEqual(['header', 'cookie:sse_token']);
    expect(resolveModuleOptions({ auth: {} }).auth.from.map((source) => source.kind)).toEqual(['bearer', 'cookie']);
  });

  it('keeps the origins of allowCookieOnPost as given', () => {
    const resolved = resolveAuthOptions({
      allowCookieOnPost: { origins: ['https://app.example.com', 'http://localhost:3000'] },
    });
    expect([...resolved.cookieOnPostOrigins]).toEqual(['https://app.example.com', 'http://localhost:3000']);
  });

  it('tells a function, a class and an instance apart for verify, verifier and canJoin', () => {
    const fn = () => null;
    expect(resolveAuthOptions({ verify: fn }).verifier).toEqual({ type: 'function', fn });
    expect(resolveAuthOptions({ verify: ClassVerifier }).verifier).toEqual({ type: 'class', class: ClassVerifier });
    expect(resolveAuthOptions({ verifier: ClassVerifier }).verifier).toEqual({ type: 'class', class: ClassVerifier });
    const instance = new StaticTokenVerifier({ t: { id: 1 } });
    expect(resolveAuthOptions({ verifier: instance }).verifier).toEqual({ type: 'instance', instance });
    const canJoin = () => true;
    expect(resolveAuthOptions({ canJoin }).canJoin).toEqual({ type: 'function', fn: canJoin });
    expect(resolveAuthOptions({ canJoin: ClassAuthorizer }).canJoin).toEqual({ type: 'class', class: ClassAuthorizer });
  });

  it.each<[string, unknown, string]>([
    ['auth that is not an object', 'yes', 'option "auth" must be an object'],
    [
      'an unknown source',
      { from: ['header', 'querx:token'] },
      `option "auth.from[1]" must be 'header', 'header:<name>', 'cookie:<name>', 'query:<name>' or 'param:<name>', got "querx:token".`,
    ],
    ['a source without a name', { from: ['cookie:'] }, 'option "auth.from[0]"'],
    ['a non-array from', { from: 'header' }, 'option "auth.from" must be a non-empty array'],
    [
      'both verify and verifier',
      { verify: () => null, verifier: ClassVerifier },
      'options "auth.verify" and "auth.verifier" are both set',
    ],
    ['a verify that is no function', { verify: 'secret' }, 'option "auth.verify" must be a function'],
    ['a verify class without verify()', { verify: NoMethod }, 'option "auth.verify" must be a function'],
    [
      'a verifier that is a plain function',
      { verifier: () => null },
      'option "auth.verifier" must be a class implementing SseTokenVerifier',
    ],
    ['a canJoin class without canJoin()', { canJoin: NoMethod }, 'option "auth.canJoin" must be'],
    [
      'an empty expiredEventName',
      { expiredEventName: '' },
      'option "auth.expiredEventName" must be a valid SSE event name',
    ],
    ['a reserved expiredEventName', { expiredEventName: 'error' }, 'option "auth.expiredEventName"'],
    [
      'an allowCookieOnPost without origins',
      { allowCookieOnPost: { origins: [] } },
      'option "auth.allowCookieOnPost" must be an object with a non-empty origins array',
    ],
    ['an allowCookieOnPost that is true', { allowCookieOnPost: true }, 'option "auth.allowCookieOnPost" must be'],
    [
      'an allowed origin with a trailing slash',
      { allowCookieOnPost: { origins: ['https://app.example.com/'] } },
      'option "auth.allowCookieOnPost.origins[0]" must be an origin as browsers send it in the Origin header',
    ],
    [
      'an allowed origin with a path',
      { allowCookieOnPost: { origins: ['https://app.example.com', 'https://app.example.com/app'] } },
      'option "auth.allowCookieOnPost.origins[1]"',
    ],
    ['an allowed origin in upper case', { allowCookieOnPost: { origins: ['https://App.example.com'] } }, 'lower case'],
    [
      'an allowed origin with a default port',
      { allowCookieOnPost: { origins: ['https://app.example.com:443'] } },
      'origins[0]',
    ],
    ['a wildcard origin', { allowCookieOnPost: { origins: ['*'] } }, 'origins[0]'],
    ['the opaque origin', { allowCookieOnPost: { origins: ['null'] } }, 'origins[0]'],
  ])('refuses %s, naming the option', (_what, auth, message) => {
    expect(() => resolveAuthOptions(auth as SseAuthOptions)).toThrow(message);
    expect(() => resolveModuleOptions({ auth: auth as SseAuthOptions })).toThrow(message);
  });
});
