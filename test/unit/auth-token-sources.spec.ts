import type { SseRequest } from '../../lib/index.js';
import {
  MAX_TOKEN_LENGTH,
  isWellFormedToken,
  parseTokenSource,
  readBearer,
  readCookie,
  redact,
  type ParsedTokenSource,
} from '../../lib/auth/token-sources.js';
import { findRequestToken, headerSourceHint } from '../../lib/auth/request-token.js';

function request(init: {
  method?: string;
  url?: string;
  headers?: Record<string, string | string[]>;
  params?: Record<string, string>;
}) {
  return {
    method: init.method ?? 'GET',
    url: init.url ?? '/',
    headers: init.headers ?? {},
    params: init.params,
  } as unknown as SseRequest;
}

/** The token lookup of a request with no allowCookieOnPost origins. */
const findToken = (req: SseRequest, from: ParsedTokenSource[], origins: string[] = []) =>
  findRequestToken(req, from, new Set(origins));
/** The token found, if any. */
const tokenOf = (req: SseRequest, from: ParsedTokenSource[]) => {
  const found = findToken(req, from);
  return found && 'token' in found ? found.token : undefined;
};

const sources = (...entries: string[]) => entries.map((entry) => parseTokenSource(entry) as ParsedTokenSource);

describe('parseTokenSource', () => {
  it.each([
    ['header', { kind: 'bearer', name: 'authorization' }],
    ['header:X-Stream-Token', { kind: 'header', name: 'x-stream-token' }],
    ['cookie:sse_token', { kind: 'cookie', name: 'sse_token' }],
    ['query:token', { kind: 'query', name: 'token' }],
    ['param:token', { kind: 'param', name: 'token' }],
  ])('parses %s', (entry, expected) => {
    expect(parseTokenSource(entry)).toEqual({ ...expected, label: entry });
  });

  it.each(['querx:token', 'query', 'query:', 'cookie:a b', 'header:bad header', 'Header', '', 'param:a\nb', 42, null])(
    'refuses %p',
    (entry) => {
      expect(parseTokenSource(entry)).toBeUndefined();
    },
  );
});

describe('readCookie', () => {
  it('finds a cookie among others, trimming spaces', () => {
    expect(readCookie('a=1; sse_token=abc;b=2', 'sse_token')).toBe('abc');
    expect(readCookie('  sse_token = abc  ', 'sse_token')).toBe('abc');
  });

  it('takes the first of repeated cookies', () => {
    expect(readCookie('t=first; t=second', 't')).toBe('first');
  });

  it('does not match a cookie whose name only ends with the name', () => {
    expect(readCookie('xsse_token=evil', 'sse_token')).toBeUndefined();
  });

  it('unquotes and percent-decodes the value, keeping invalid percent-encoding as it is', () => {
    expect(readCookie('t="a%2Bb"', 't')).toBe('a+b');
    expect(readCookie('t=100%', 't')).toBe('100%');
  });

  it('keeps = inside the value (base64 padding)', () => {
    expect(readCookie('t=YWJj==', 't')).toBe('YWJj==');
  });

  it('returns undefined without a header or the cookie, and an empty string for an empty cookie', () => {
    expect(readCookie(undefined, 't')).toBeUndefined();
    expect(readCookie('a=1', 't')).toBeUndefined();
    expect(readCookie('t=', 't')).toBe('');
  });
});

describe('readBearer', () => {
  it('reads the token of a Bearer header, the scheme in any case', () => {
    expect(readBearer('Bearer abc.def')).toBe('abc.def');
    expect(readBearer('bearer abc')).toBe('abc');
  });

  it('returns an empty token for Bearer alone, and undefined for other schemes or no header', () => {
    expect(readBearer('Bearer')).toBe('');
    expect(readBearer('Bearer ')).toBe('');
    expect(readBearer('Basic YTpi')).toBeUndefined();
    expect(readBearer('Bearerabc')).toBeUndefined();
    expect(readBearer(undefined)).toBeUndefined();
  });
});

describe('findRequestToken on GET requests', () => {
  const all = sources('header', 'cookie:sse_token', 'query:token', 'param:token');

  it('takes the first source, in the configured order, that holds a token', () => {
    const both = request({ url: '/f?token=q', headers: { authorization: 'Bearer h', cookie: 'sse_token=c' } });
    expect(findToken(both, all)).toMatchObject({ token: 'h', source: { label: 'header' } });
    expect(findToken(both, sources('query:token', 'header'))).toMatchObject({
      token: 'q',
      source: { label: 'query:token' },
    });
    expect(tokenOf(request({ url: '/f?token=q', headers: { cookie: 'sse_token=c' } }), all)).toBe('c');
    expect(tokenOf(request({ url: '/f/p', params: { token: 'p' } }), all)).toBe('p');
  });

  it('stops at the first source present even when its token is empty', () => {
    expect(tokenOf(request({ url: '/f?token=q', headers: { authorization: 'Bearer' } }), all)).toBe('');
  });

  it('reads a named header whole, the first of repeated query parameters, and decodes the query', () => {
    expect(tokenOf(request({ headers: { 'x-key': 'k 1' } }), sources('header:X-Key'))).toBe('k 1');
    expect(tokenOf(request({ url: '/f?token=a%2Bb&token=z' }), sources('query:token'))).toBe('a+b');
  });

  it('returns undefined when no source holds a token', () => {
    expect(findToken(request({ url: '/f?other=1', headers: { authorization: 'Basic x' } }), all)).toBeUndefined();
  });
});

describe('findRequestToken on other methods (a POST event stream)', () => {
  const all = sources('cookie:sse_token', 'query:token', 'param:token', 'header');
  const APP = 'https://app.example.com';

  it('takes a header token whatever the method, skipping cookie, query and path tokens before it', () => {
    const post = request({
      method: 'POST',
      url: '/f/p?token=q',
      params: { token: 'p' },
      headers: { cookie: 'sse_token=c', authorization: 'Bearer h' },
    });
    expect(findToken(post, all)).toMatchObject({ token: 'h', source: { label: 'header' } });
  });

  it.each(['POST', 'post', 'PUT', 'PATCH', 'DELETE'])(
    'reports the first ignored source of a %s request that has no header token',
    (method) => {
      const req = request({ method, url: '/f?token=q', headers: { cookie: 'sse_token=c' } });
      expect(findToken(req, all)).toEqual({
        ignored: expect.objectContaining({ label: 'cookie:sse_token' }),
        why: 'method',
      });
      expect(findToken(request({ method, url: '/f?token=q' }), all)).toMatchObject({
        ignored: { label: 'query:token' },
        why: 'method',
      });
    },
  );

  it('treats HEAD like GET', () => {
    expect(findToken(request({ method: 'HEAD', headers: { cookie: 'sse_token=c' } }), all)).toMatchObject({
      token: 'c',
    });
  });

  it('takes a cookie on POST only from an allowed origin, compared exactly', () => {
    const from = (origin?: string) =>
      request({ method: 'POST', headers: { cookie: 'sse_token=c', ...(origin && { origin }) } });
    expect(findToken(from(APP), all, [APP])).toMatchObject({ token: 'c' });
    for (const origin of [undefined, 'https://evil.example', 'HTTPS://APP.EXAMPLE.COM', `${APP}/`, `${APP}.evil`]) {
      expect(findToken(from(origin), all, [APP])).toMatchObject({
        ignored: { label: 'cookie:sse_token' },
        why: 'origin',
      });
    }
    // allowCookieOnPost is about cookies: a query token on POST stays ignored from an allowed origin.
    expect(
      findToken(request({ method: 'POST', url: '/f?token=q', headers: { origin: APP } }), all, [APP]),
    ).toMatchObject({ ignored: { label: 'query:token' }, why: 'method' });
  });

  it('returns undefined when no source holds a token', () => {
    expect(findToken(request({ method: 'POST' }), all)).toBeUndefined();
  });
});

describe('headerSourceHint', () => {
  it('names the first header source of auth.from, for a refusal to say what to send', () => {
    expect(headerSourceHint(sources('cookie:a', 'header'))).toBe('the Authorization: Bearer header');
    expect(headerSourceHint(sources('header:X-Stream-Token', 'header'))).toBe('the x-stream-token header');
    expect(headerSourceHint(sources('cookie:a', 'query:t'))).toBeUndefined();
  });
});

describe('isWellFormedToken', () => {
  it('accepts 1 to MAX_TOKEN_LENGTH visible characters', () => {
    expect(isWellFormedToken('a')).toBe(true);
    expect(isWellFormedToken('x'.repeat(MAX_TOKEN_LENGTH))).toBe(true);
    expect(MAX_TOKEN_LENGTH).toBe(8192);
  });

  it.each([
    ['empty', ''],
    ['over 8 KiB', 'x'.repeat(MAX_TOKEN_LENGTH + 1)],
    ['with NUL', 'a\0b'],
    ['with CR LF', 'a\r\nb'],
    ['with a space', 'a b'],
    ['with DEL', 'a\x7fb'],
    ['not a string', 42],
  ])('refuses a token %s', (_what, token) => {
    expect(isWellFormedToken(token)).toBe(false);
  });
});

describe('redact', () => {
  it('replaces every occurrence of the secret, plain or percent-encoded', () => {
    expect(redact('token a+b/c failed; url ?t=a%2Bb%2Fc', 'a+b/c')).toBe('token [redacted] failed; url ?t=[redacted]');
  });

  it('leaves the text alone without a secret', () => {
    expect(redact('nothing here', undefined)).toBe('nothing here');
  });
});
