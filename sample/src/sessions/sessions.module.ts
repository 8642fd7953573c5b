import { Module, type DynamicModule } from '@nestjs/common';
import { SampleTokenVerifier } from '../auth/sample-token.verifier.js';
import { InMemorySignedOutUsers } from './in-memory-signed-out-users.js';
import { SignOutController } from './sign-out.controller.js';
import { SIGNED_OUT_USERS, type SignedOutUsers } from './signed-out-users.interface.js';

/**
 * "Sign out everywhere": `POST /sign-out-everywhere`, the store of signed-out
 * users, and the verifier that refuses their tokens, which `SseModule`'s
 * `auth.verifier` names (the library finds it here). Global, so that the
 * `StreamAuthGuard` of every feature module asks this one store.
 */
@Module({})
export class SessionsModule {
  /** `store`: where sign-outs are kept (Redis when the sample runs on Redis); in memory by default. */
  static forRoot(store: SignedOutUsers = new InMemorySignedOutUsers()): DynamicModule {
    return {
      module: SessionsModule,
      global: true,
      controllers: [SignOutController],
      providers: [{ provide: SIGNED_OUT_USERS, useValue: store }, SampleTokenVerifier],
      exports: [SIGNED_OUT_USERS, SampleTokenVerifier],
    };
  }
}
