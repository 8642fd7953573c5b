import { Controller, UseGuards } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { of } from 'rxjs';
import { type TestEventStream, openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { EventStream, JwtTokenVerifier, SseAuthGuard, SseClient, SseHub, sseEvent } from '../../lib/index.js';
import { startApp, type TestApp } from '../utils/test-app.js';
import { TestEventSource } from '../utils/event-source-client.js';
import { CaptureLogger } from '../utils/capture-logger.js';

const SECRET = 'jwt-test-secret-4f0c2b7e9d1a';
const OTHER_SECRET = 'another-secret-entirely-77b3';
const now = () => Math.floor(Date.now() / 1000);
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

@Controller()
@UseGuards(SseAuthGuard)
class JwtFeedController {
  constructor(private readonly hub: SseHub) {}

  @EventStream('feed')
  feed(@SseClient() client: SseClient) {
    const { sub, role } = client.user as { sub: string; role?: string };
    return of(sseEvent({ event: 'hello', data: { sub, role } }));
  }

  @EventStream('forever')
  forever(@SseClient() client: SseClient) {
    return this.hub.join(client, 'nothing-ever');
  }
}

describe('JwtTokenVerifier (with @nestjs/jwt)', () => {
  let server: TestApp;
  let hub: SseHub;
  const logger = new CaptureLogger();
  const signer = new JwtService({ secret: SECRET });
  const tokensSeen: string[] = [];
  const streams: { close(): void }[] = [];

  const sign = (payload: object, options: Parameters<JwtService['sign']>[1] = {}) => {
    const token = signer.sign(payload, options);
    tokensSeen.push(token);
    return token;
  };
  const get = async (path: string, token: string): Promise<TestEventStream> => {
    const stream = await openEventStream(server.app, `${path}`, { headers: { authorization: `Bearer ${token}` } });
    streams.push(stream);
    return stream;
  };

  beforeAll(async () => {
    server = await startApp(
      { controllers: [JwtFeedController] },
      { retryMs: 60_000, auth: { verifier: new JwtTokenVerifier({ secret: SECRET, algorithms: ['HS256'] }) } },
      undefined,
      { logger },
    );
    hub = server.app.get(SseHub);
  });

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await waitForHub(hub, (h) => h.count() === 0);
  });

  afterAll(async () => {
    await server.close();
    const lines = logger.entries.map((entry) => entry.message);
    expect(lines.some((line) => line.startsWith('Token refused: '))).toBe(true);
    for (const token of tokensSeen) {
      // Neither the whole token nor its signature is ever logged.
      const signature = token.split('.')[2] ?? '';
      const leaks = lines.filter(
        (line) => line.includes(token) || (signature.length >= 16 && line.includes(signature)),
      );
      expect(leaks).toEqual([]);
    }
  });

  it('accepts a valid token and sets its claims as request.user', async () => {
    const stream = await get('/feed', sign({ sub: 'u-1', role: 'reader' }, { expiresIn: 60 }));
    expect(stream.status).toBe(200);
    const [hello] = await stream.waitForEvents(1);
    expect(JSON.parse(hello.data)).toEqual({ sub: 'u-1', role: 'reader' });
  });

  const badTokens: [string, () => string][] = [
    ['a malformed token', () => 'not.a.jwt'],
    ['a token of two parts', () => `${base64url({ alg: 'HS256' })}.${base64url({ sub: 'u-1' })}`],
    ['a token signed with another key', () => new JwtService({ secret: OTHER_SECRET }).sign({ sub: 'u-1' })],
    [
      'an unsigned token (alg none)',
      () => `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'u-1', exp: now() + 60 })}.`,
    ],
    [
      'a token with alg none and a copied signature',
      () => {
        const [, , signature] = signer.sign({ sub: 'u-1' }).split('.');
        return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'admin' })}.${signature}`;
      },
    ],
    ['a token signed with an algorithm that is not pinned (HS512)', () => sign({ sub: 'u-1' }, { algorithm: 'HS512' })],
    ['an expired token', () => sign({ sub: 'u-1', exp: now() - 10 })],
    ['a token not valid yet (nbf)', () => sign({ sub: 'u-1', nbf: now() + 3600 })],
    [
      'a token whose payload was altered',
      () => {
        const [header, , signature] = sign({ sub: 'u-1' }).split('.');
        return `${header}.${base64url({ sub: 'admin' })}.${signature}`;
      },
    ],
  ];

  it.each(badTokens)('refuses %s with 401, without an exception escaping', async (_what, make) => {
    const token = make();
    tokensSeen.push(token);
    const stream = await get('/feed', token);
    await stream.ended;
    expect(stream.status).toBe(401);
    expect(stream.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(JSON.parse(stream.text)).toMatchObject({ statusCode: 401, message: 'The token is invalid or has expired.' });
  });

  it('logs no error and no warning for any of the bad tokens', () => {
    expect(logger.messages('error')).toEqual([]);
    expect(logger.messages('warn')).toEqual([]);
  });

  it("ends the stream at the token's exp with the final word auth-expired", async () => {
    // 0.5 to 1.5 s from now: enough for the stream to open first (one expiring before that is refused with 401).
    const token = sign({ sub: 'u-2', exp: Math.ceil((Date.now() + 500) / 1000) });
    const client = new TestEventSource(`${server.url}/forever`, {
      types: ['sse-end'],
      fetch: (url, init) =>
        fetch(url, {
          ...init,
          headers: { ...(init?.headers as Record<string, string>), authorization: `Bearer ${token}` },
        }),
    });
    streams.push(client);
    const [event] = await client.waitForEvents(1);
    expect(event.type).toBe('sse-end');
    const data = JSON.parse(event.data) as { reason: string; expiredAt: string };
    expect(data).toEqual({ reason: 'auth-expired', expiredAt: expect.any(String) });
    expect(new Date(data.expiredAt).getTime() % 1000).toBe(0);
  });
});
