import { Controller, UseGuards } from '@nestjs/common';
import { JwtModule, JwtService } from '@nestjs/jwt';
import { Test } from '@nestjs/testing';
import { generateKeyPairSync } from 'node:crypto';
import { of } from 'rxjs';
import { openEventStream } from 'nestjs-event-stream/testing';
import { EventStream, JwtTokenVerifier, SseAuthGuard, SseClient, SseModule, sseEvent } from '../../lib/index.js';
import { listen, startApp, type TestApp } from '../utils/test-app.js';

/** The app's own JwtModule secret: it must not verify tokens when the verifier has a key of its own. */
const MODULE_SECRET = 'module-hmac-secret-8d2f61a0';
const VERIFIER_SECRET = 'verifier-hmac-secret-1c9e44b7';
const { publicKey, privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const rsa = new JwtService({ privateKey, signOptions: { algorithm: 'RS256' } });
const moduleHmac = new JwtService({ secret: MODULE_SECRET });
const verifierHmac = new JwtService({ secret: VERIFIER_SECRET });
const inAMinute = { expiresIn: 60 };

@Controller()
@UseGuards(SseAuthGuard)
class WhoAmIController {
  @EventStream('feed')
  feed(@SseClient() client: SseClient) {
    return of(sseEvent({ event: 'hello', data: { sub: (client.user as { sub: unknown }).sub } }));
  }
}

/** Opens /feed with `token` as a Bearer token: the status, and the `sub` the stream saw. */
async function whoAmI(server: TestApp, token: string): Promise<{ status: number; sub?: unknown; body?: unknown }> {
  const stream = await openEventStream(server.app, `/feed`, { headers: { authorization: `Bearer ${token}` } });
  if (stream.status !== 200) {
    await stream.ended;
    return { status: stream.status, body: JSON.parse(stream.text) };
  }
  const [hello] = await stream.waitForEvents(1);
  stream.close();
  return { status: 200, sub: (JSON.parse(hello.data) as { sub: unknown }).sub };
}

/** An app whose JwtTokenVerifier gets the app's JwtService (JwtModule with an HMAC secret) and `options`. */
async function withModuleJwt(options: Omit<ConstructorParameters<typeof JwtTokenVerifier>[0], 'jwtService'>) {
  const moduleRef = await Test.createTestingModule({
    controllers: [WhoAmIController],
    imports: [
      SseModule.forRootAsync({
        imports: [JwtModule.register({ secret: MODULE_SECRET })],
        inject: [JwtService],
        useFactory: (jwtService: JwtService) => ({
          auth: { verifier: new JwtTokenVerifier({ ...options, jwtService }) },
        }),
      }),
    ],
  }).compile();
  return listen(moduleRef.createNestApplication({ logger: false, forceCloseConnections: true }));
}

describe("JwtTokenVerifier: the verifier's own key and algorithms win over the JwtService's", () => {
  let server: TestApp;
  afterEach(() => server?.close());

  it('accepts a genuine RS256 token with its own publicKey, although the JwtService has an HMAC secret', async () => {
    server = await withModuleJwt({ publicKey, algorithms: ['RS256'] });
    expect(await whoAmI(server, rsa.sign({ sub: 'rsa-user' }, inAMinute))).toEqual({ status: 200, sub: 'rsa-user' });
  });

  it("refuses a token signed with the JwtService's HMAC secret when HS256 is allowed but the verifier has only a publicKey", async () => {
    server = await withModuleJwt({ publicKey, algorithms: ['RS256', 'HS256'] });
    expect((await whoAmI(server, moduleHmac.sign({ sub: 'forged' }, inAMinute))).status).toBe(401);
    expect((await whoAmI(server, rsa.sign({ sub: 'rsa-user' }, inAMinute))).status).toBe(200);
  });

  it('picks its own key by the algorithm of each token when it has both a secret and a publicKey', async () => {
    server = await withModuleJwt({ secret: VERIFIER_SECRET, publicKey, algorithms: ['RS256', 'HS256'] });
    expect(await whoAmI(server, rsa.sign({ sub: 'rsa-user' }, inAMinute))).toEqual({ status: 200, sub: 'rsa-user' });
    expect(await whoAmI(server, verifierHmac.sign({ sub: 'hmac-user' }, inAMinute))).toEqual({
      status: 200,
      sub: 'hmac-user',
    });
    expect((await whoAmI(server, moduleHmac.sign({ sub: 'forged' }, inAMinute))).status).toBe(401);
  });

  it("still uses the JwtService's own key when the verifier has none", async () => {
    server = await withModuleJwt({});
    expect(await whoAmI(server, moduleHmac.sign({ sub: 'module-user' }, inAMinute))).toEqual({
      status: 200,
      sub: 'module-user',
    });
    expect((await whoAmI(server, verifierHmac.sign({ sub: 'other' }, inAMinute))).status).toBe(401);
  });
});

describe('JwtTokenVerifier: claims and header it refuses', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startApp(
      { controllers: [WhoAmIController] },
      { auth: { verifier: new JwtTokenVerifier({ secret: VERIFIER_SECRET }) } },
    );
  });
  afterAll(() => server.close());

  it('refuses a token without exp by default (requireExp), which would otherwise never expire', async () => {
    const answer = await whoAmI(server, verifierHmac.sign({ sub: 'forever' }));
    expect(answer).toEqual({
      status: 401,
      body: { statusCode: 401, error: 'Unauthorized', message: 'The token is invalid or has expired.' },
    });
  });

  it.each([
    ['an object', { id: 'admin' }],
    ['an array', ['admin']],
    ['a boolean', true],
    ['null', null],
  ])('refuses a token whose sub is %s', async (_what, sub) => {
    expect((await whoAmI(server, verifierHmac.sign({ sub }, inAMinute))).status).toBe(401);
  });

  it('accepts a sub that is a string or a number', async () => {
    expect(await whoAmI(server, verifierHmac.sign({ sub: 'u-7' }, inAMinute))).toEqual({ status: 200, sub: 'u-7' });
    expect(await whoAmI(server, verifierHmac.sign({ sub: 42 }, inAMinute))).toEqual({ status: 200, sub: 42 });
  });

  it.each<[string, Record<string, unknown>]>([
    ['an extension it does not understand', { crit: ['urn:example:must-check'], 'urn:example:must-check': true }],
    ['a registered claim name', { crit: ['exp'] }],
    ['an empty list', { crit: [] }],
    ['a value that is not a list', { crit: 'b64' }],
  ])('refuses a token whose header has crit listing %s (RFC 7515 §4.1.11)', async (_what, header) => {
    // jsonwebtoken's JwtHeader type has no crit; the header is sent as given all the same.
    const token = verifierHmac.sign({ sub: 'u-8' }, { ...inAMinute, header: { alg: 'HS256', ...header } as never });
    expect((await whoAmI(server, token)).status).toBe(401);
  });
});
