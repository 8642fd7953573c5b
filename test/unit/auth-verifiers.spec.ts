import { JwtService } from '@nestjs/jwt';
import { JwtTokenVerifier, StaticTokenVerifier, isSseAuthResult, type SseJwtAlgorithm } from '../../lib/index.js';
import { loadOptionalPackage } from '../../lib/utils/load-optional-package.js';

describe('StaticTokenVerifier', () => {
  const verifier = new StaticTokenVerifier({
    'key-one': { id: 'one' },
    'key-two': { user: { id: 'two' }, expiresAt: 123 },
  });

  it('returns the user (or SseAuthResult) of a known token', () => {
    expect(verifier.verify('key-one')).toEqual({ id: 'one' });
    expect(verifier.verify('key-two')).toEqual({ user: { id: 'two' }, expiresAt: 123 });
  });

  it('refuses unknown tokens, prefixes, extensions and tokens of other lengths', () => {
    for (const token of ['key-on', 'key-one ', 'key-onE', 'x'.repeat(5000), '']) {
      expect(verifier.verify(token)).toBeNull();
    }
  });

  it('accepts a Map, and refuses empty tokens in its table', () => {
    expect(new StaticTokenVerifier(new Map([['m', 'user-m']])).verify('m')).toBe('user-m');
    expect(() => new StaticTokenVerifier({ '': { id: 'x' } })).toThrow('non-empty strings');
  });
});

describe('isSseAuthResult', () => {
  it('takes only objects whose keys are user and expiresAt', () => {
    expect(isSseAuthResult({ user: { id: 1 } })).toBe(true);
    expect(isSseAuthResult({ user: { id: 1 }, expiresAt: 5 })).toBe(true);
    expect(isSseAuthResult({ user: 'x', id: 1 })).toBe(false);
    expect(isSseAuthResult({ id: 1 })).toBe(false);
    expect(isSseAuthResult(null)).toBe(false);
  });
});

describe('JwtTokenVerifier', () => {
  const secret = 'unit-secret-0123456789';
  const signer = new JwtService({ secret });
  const now = () => Math.floor(Date.now() / 1000);

  it("returns the claims as the user and the token's exp as expiresAt (ms)", async () => {
    const exp = now() + 120;
    const result = await new JwtTokenVerifier({ secret }).verify(signer.sign({ sub: 's-1', exp }));
    expect(result).toEqual({ user: expect.objectContaining({ sub: 's-1', exp }), expiresAt: exp * 1000 });
  });

  it('maps the claims with toUser, and checks issuer and audience', async () => {
    const verifier = new JwtTokenVerifier({
      secret,
      issuer: 'me',
      audience: 'sse',
      toUser: (claims) => ({ id: claims.sub }),
    });
    const valid = { expiresIn: 60 };
    expect(await verifier.verify(signer.sign({ sub: 's-2' }, { ...valid, issuer: 'me', audience: 'sse' }))).toEqual({
      user: { id: 's-2' },
      expiresAt: expect.any(Number),
    });
    expect(
      await verifier.verify(signer.sign({ sub: 's-2' }, { ...valid, issuer: 'other', audience: 'sse' })),
    ).toBeNull();
    expect(await verifier.verify(signer.sign({ sub: 's-2' }, { ...valid, issuer: 'me' }))).toBeNull();
  });

  it('refuses a token without exp unless requireExp is false, and then gives it no expiry', async () => {
    const token = signer.sign({ sub: 's-4' });
    expect(await new JwtTokenVerifier({ secret }).verify(token)).toBeNull();
    expect(await new JwtTokenVerifier({ secret, requireExp: false }).verify(token)).toEqual({
      user: expect.objectContaining({ sub: 's-4' }),
    });
  });

  it('allows clock skew only as configured', async () => {
    const token = signer.sign({ sub: 's-3', exp: now() - 5 });
    expect(await new JwtTokenVerifier({ secret }).verify(token)).toBeNull();
    expect(await new JwtTokenVerifier({ secret, clockToleranceSec: 30 }).verify(token)).not.toBeNull();
  });

  it('refuses a token whose payload is not an object', async () => {
    expect(await new JwtTokenVerifier({ secret }).verify(signer.sign('just a string'))).toBeNull();
  });

  it.each<[string, ConstructorParameters<typeof JwtTokenVerifier>[0], string]>([
    ['no key', {}, 'needs a key'],
    ['an empty secret', { secret: '' }, '"secret" must not be empty'],
    ['alg none', { secret, algorithms: ['none' as SseJwtAlgorithm] }, "'none' is never allowed"],
    ['no algorithms', { secret, algorithms: [] }, '"algorithms" must be a non-empty array'],
    ['a public key without algorithms', { publicKey: 'PEM' }, '"algorithms" must be set with "publicKey"'],
    ['a negative clock tolerance', { secret, clockToleranceSec: -1 }, '"clockToleranceSec" must be a number >= 0'],
    [
      'a requireExp that is not a boolean',
      { secret, requireExp: 'yes' as unknown as boolean },
      'JwtTokenVerifier option "requireExp" must be a boolean, got "yes".',
    ],
  ])('refuses %s at construction', (_what, options, message) => {
    expect(() => new JwtTokenVerifier(options)).toThrow(message);
  });
});

describe('loadOptionalPackage', () => {
  it('names the package to install when it is missing', async () => {
    const name = 'nestjs-event-stream-no-such-package';
    await expect(loadOptionalPackage(name, 'JwtTokenVerifier', () => import(name))).rejects.toThrow(
      'nestjs-event-stream: JwtTokenVerifier needs the optional package nestjs-event-stream-no-such-package, which is not installed. Run `npm install nestjs-event-stream-no-such-package`.',
    );
  });

  it('passes other errors on', async () => {
    await expect(loadOptionalPackage('x', 'Feature', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});
