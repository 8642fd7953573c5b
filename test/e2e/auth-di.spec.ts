import {
  Controller,
  Get,
  Injectable,
  Module,
  Param,
  UseGuards,
  type DynamicModule,
  type ExecutionContext,
  type ModuleMetadata,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule, JwtService } from '@nestjs/jwt';
import { Test } from '@nestjs/testing';
import { merge, of } from 'rxjs';
import {
  EventStream,
  JwtTokenVerifier,
  SseAuthGuard,
  SseClient,
  SseHub,
  SseModule,
  sseEvent,
  type SseChannelAuthorizer,
  type SseModuleOptions,
  type SseOptionsFactory,
  type SseRequest,
  type SseTokenVerifier,
} from '../../lib/index.js';
import { type TestEventStream, openEventStream, waitForHub } from 'nestjs-event-stream/testing';
import { listen, type TestApp } from '../utils/test-app.js';

/** A provider the verifier and the authorizer depend on. */
@Injectable()
class UsersService {
  private readonly byToken = new Map([
    ['tok-ann', { id: 'ann', rooms: ['lobby'] }],
    ['tok-ben', { id: 'ben', rooms: ['lobby', 'staff'] }],
  ]);
  findByToken(token: string) {
    return this.byToken.get(token) ?? null;
  }
}

@Module({ providers: [UsersService], exports: [UsersService] })
class UsersModule {}

@Injectable()
class UsersTokenVerifier implements SseTokenVerifier {
  static instances = 0;
  constructor(private readonly users: UsersService) {
    UsersTokenVerifier.instances++;
  }
  verify(token: string) {
    return this.users.findByToken(token);
  }
}

@Injectable()
class RoomAuthorizer implements SseChannelAuthorizer {
  canJoin(user: unknown, channel: string) {
    return (user as { rooms: string[] }).rooms.includes(channel.replace(/^room:/, ''));
  }
}

@Controller()
@UseGuards(SseAuthGuard)
class RoomsController {
  constructor(private readonly hub: SseHub) {}

  @EventStream('rooms/:room')
  room(@Param('room') room: string, @SseClient() client: SseClient) {
    const { id } = client.user as { id: string };
    return merge(of(sseEvent({ event: 'hello', data: id })), this.hub.join(client, `room:${room}`));
  }
}

/** No guard on the controller: the global one (APP_GUARD) does the work. */
@Controller()
class OpenController {
  @EventStream('stream')
  stream(@SseClient() client: SseClient) {
    return of(sseEvent({ event: 'hello', data: client.user }));
  }

  @Get('health')
  health() {
    return 'ok';
  }
}

/** A subclass, like a ThrottlerGuard subclass: its own token source and user shape. */
@Injectable()
class KioskGuard extends SseAuthGuard {
  protected override extractToken(request: SseRequest, _context: ExecutionContext) {
    const value = request.headers['x-kiosk-key'];
    return typeof value === 'string' ? value : undefined;
  }
  protected override verifyToken(token: string) {
    return token === 'kiosk-1' ? { kiosk: 1 } : null;
  }
  protected override getUser(result: unknown) {
    return result ? { id: `kiosk:${(result as { kiosk: number }).kiosk}` } : null;
  }
}

async function boot(metadata: ModuleMetadata, sse: DynamicModule): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule({
    ...metadata,
    imports: [sse, ...(metadata.imports ?? [])],
  }).compile();
  return listen(moduleRef.createNestApplication({ logger: false, forceCloseConnections: true }));
}

async function expectStartupError(metadata: ModuleMetadata, sse: DynamicModule, message: string | RegExp) {
  const moduleRef = Test.createTestingModule({ ...metadata, imports: [sse, ...(metadata.imports ?? [])] });
  let app: Awaited<ReturnType<typeof boot>>['app'] | undefined;
  const start = async () => {
    app = (await moduleRef.compile()).createNestApplication({ logger: false });
    await app.init();
  };
  await expect(start()).rejects.toThrow(message);
  await app?.close().catch(() => undefined);
}

describe('stream auth through Nest DI', () => {
  let server: TestApp | undefined;
  const streams: TestEventStream[] = [];
  const get = async (path: string, headers: Record<string, string>) => {
    const stream = await openEventStream(server!.app, path, { headers });
    streams.push(stream);
    return stream;
  };

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    if (server) {
      await waitForHub(server.app.get(SseHub), (h) => h.count() === 0);
      await server.close();
      server = undefined;
    }
  });

  it("uses the app's own provider of a verifier class given as auth.verifier (with its dependencies)", async () => {
    UsersTokenVerifier.instances = 0;
    server = await boot(
      { controllers: [RoomsController], providers: [UsersService, UsersTokenVerifier, RoomAuthorizer] },
      SseModule.forRoot({ auth: { verifier: UsersTokenVerifier, canJoin: RoomAuthorizer } }),
    );
    const ann = await get('/rooms/lobby', { authorization: 'Bearer tok-ann' });
    expect(ann.status).toBe(200);
    expect((await ann.waitForEvents(1))[0].data).toBe('ann');
    const staff = await get('/rooms/staff', { authorization: 'Bearer tok-ann' });
    expect(staff.status).toBe(403);
    expect(UsersTokenVerifier.instances).toBe(1);
  });

  it('creates a verifier class given to forRootAsync with the dependencies of its imports', async () => {
    UsersTokenVerifier.instances = 0;
    server = await boot(
      { controllers: [RoomsController] },
      SseModule.forRootAsync({
        imports: [UsersModule],
        inject: [UsersService],
        useFactory: (users: UsersService): SseModuleOptions => {
          expect(users).toBeInstanceOf(UsersService);
          // Query tokens are opt-in: this test reads them.
          return { auth: { from: ['header', 'query:token'], verify: UsersTokenVerifier, canJoin: RoomAuthorizer } };
        },
      }),
    );
    const ben = await get('/rooms/staff?token=tok-ben', {});
    expect(ben.status).toBe(200);
    expect((await ben.waitForEvents(1))[0].data).toBe('ben');
    const nobody = await get('/rooms/lobby?token=tok-nobody', {});
    expect(nobody.status).toBe(401);
    expect(UsersTokenVerifier.instances).toBe(1);
  });

  it('takes the auth options from a useClass options factory', async () => {
    @Injectable()
    class SseConfig implements SseOptionsFactory {
      createSseOptions(): SseModuleOptions {
        return {
          auth: { from: ['cookie:session'], verify: (token) => (token === 'c00kie' ? { id: 'cookie-user' } : null) },
        };
      }
    }
    server = await boot(
      { controllers: [OpenController], providers: [{ provide: APP_GUARD, useClass: SseAuthGuard }] },
      SseModule.forRootAsync({ useClass: SseConfig }),
    );
    const ok = await get('/stream', { cookie: 'session=c00kie' });
    expect(JSON.parse((await ok.waitForEvents(1))[0].data)).toEqual({ id: 'cookie-user' });
    const query = await get('/stream?token=c00kie', {});
    expect(query.status).toBe(401);
  });

  it('works as a global guard (APP_GUARD): streams need a token, other routes do not', async () => {
    server = await boot(
      { controllers: [OpenController], providers: [{ provide: APP_GUARD, useClass: SseAuthGuard }] },
      SseModule.forRoot({ auth: { verify: (token) => (token === 'tok-g' ? { id: 'g' } : null) } }),
    );
    expect((await get('/stream', {})).status).toBe(401);
    const ok = await get('/stream', { authorization: 'Bearer tok-g' });
    expect(JSON.parse((await ok.waitForEvents(1))[0].data)).toEqual({ id: 'g' });
    const health = await fetch(`${server.url}/health`);
    expect([health.status, await health.text()]).toEqual([200, 'ok']);
  });

  it('lets a subclass replace extractToken(), verifyToken() and getUser(), with no verifier configured', async () => {
    server = await boot(
      { controllers: [OpenController], providers: [{ provide: APP_GUARD, useClass: KioskGuard }] },
      SseModule.forRoot(),
    );
    const ok = await get('/stream', { 'x-kiosk-key': 'kiosk-1' });
    expect(JSON.parse((await ok.waitForEvents(1))[0].data)).toEqual({ id: 'kiosk:1' });
    const bad = await get('/stream', { 'x-kiosk-key': 'kiosk-2' });
    expect(bad.status).toBe(401);
    const missing = await get('/stream', { authorization: 'Bearer kiosk-1' });
    expect([missing.status, missing.headers['www-authenticate']]).toEqual([401, 'Bearer']);
  });

  it('uses a JwtService injected into forRootAsync (JwtModule) through JwtTokenVerifier', async () => {
    server = await boot(
      { controllers: [OpenController], providers: [{ provide: APP_GUARD, useClass: SseAuthGuard }] },
      SseModule.forRootAsync({
        imports: [JwtModule.register({ secret: 'module-secret-123456' })],
        inject: [JwtService],
        useFactory: (jwtService: JwtService) => ({ auth: { verifier: new JwtTokenVerifier({ jwtService }) } }),
      }),
    );
    const token = new JwtService({ secret: 'module-secret-123456' }).sign({ sub: 'j-1' }, { expiresIn: 60 });
    const ok = await get('/stream', { authorization: `Bearer ${token}` });
    expect(JSON.parse((await ok.waitForEvents(1))[0].data)).toMatchObject({ sub: 'j-1' });
    const forged = new JwtService({ secret: 'wrong-secret-654321' }).sign({ sub: 'j-1' }, { expiresIn: 60 });
    expect((await get('/stream', { authorization: `Bearer ${forged}` })).status).toBe(401);
  });

  describe('misconfiguration fails startup with a message naming the option', () => {
    it.each<[string, SseModuleOptions, string]>([
      [
        'an unknown token source',
        { auth: { from: ['header', 'querx:token' as 'query:token'], verify: () => null } },
        "option \"auth.from[1]\" must be 'header', 'header:<name>', 'cookie:<name>', 'query:<name>' or 'param:<name>', got \"querx:token\"",
      ],
      [
        'an empty auth.from',
        { auth: { from: [], verify: () => null } },
        'option "auth.from" must be a non-empty array',
      ],
      [
        'both verify and verifier',
        { auth: { verify: () => null, verifier: new JwtTokenVerifier({ secret: 'x' }) } },
        'options "auth.verify" and "auth.verifier" are both set',
      ],
      [
        'a verifier without verify()',
        { auth: { verifier: {} as SseTokenVerifier } },
        'option "auth.verifier" must be a class implementing SseTokenVerifier',
      ],
      [
        'a canJoin that is not a hook',
        { auth: { verify: () => null, canJoin: 'admins' as never } },
        'option "auth.canJoin" must be',
      ],
      [
        'an unframeable expiredEventName',
        { auth: { verify: () => null, expiredEventName: 'a\nb' } },
        'option "auth.expiredEventName" must be a valid SSE event name',
      ],
    ])('%s', async (_what, options, message) => {
      await expectStartupError({}, SseModule.forRoot(options), message);
    });

    it('SseAuthGuard with no verifier configured', async () => {
      await expectStartupError(
        { controllers: [RoomsController] },
        SseModule.forRoot(),
        'SseAuthGuard needs a token verifier. Set auth.verify',
      );
    });

    it('a verifier class whose dependencies cannot be resolved', async () => {
      await expectStartupError(
        { controllers: [RoomsController] },
        SseModule.forRoot({ auth: { verifier: UsersTokenVerifier } }),
        /could not resolve UsersTokenVerifier \(option "auth.verifier"\).*Register UsersTokenVerifier as a provider/s,
      );
    });
  });
});
