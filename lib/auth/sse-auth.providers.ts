import type { Provider } from '@nestjs/common';
import { SSE_CHANNEL_AUTHORIZER, SSE_RESOLVED_OPTIONS } from '../sse.constants.js';
import type { ResolvedSseModuleOptions } from '../options/resolve-module-options.js';
import type { SseChannelAuthorizer } from '../hub/sse-channel-authorizer.interface.js';
import { SseAuthExpiryService } from './sse-auth-expiry.service.js';
import { SseAuthService } from './sse-auth.service.js';
import { SseTickets } from './sse-tickets.js';

/**
 * What SseModule provides for stream auth: the resolved hooks (for
 * `SseAuthGuard`), the expiry of streams, stream tickets, and
 * `SSE_CHANNEL_AUTHORIZER` for `SseHub.join()` when `auth.canJoin` is set.
 */
export const SSE_AUTH_PROVIDERS: Provider[] = [
  SseAuthService,
  SseAuthExpiryService,
  SseTickets,
  {
    provide: SSE_CHANNEL_AUTHORIZER,
    // A separate object, not the service itself: Nest would run the service's
    // lifecycle hooks once more for each provider that holds it.
    useFactory: (options: ResolvedSseModuleOptions, auth: SseAuthService): SseChannelAuthorizer | undefined =>
      options.auth.canJoin ? { canJoin: (user, channel, client) => auth.canJoin(user, channel, client) } : undefined,
    inject: [SSE_RESOLVED_OPTIONS, SseAuthService],
  },
];

/** The auth providers SseModule exports (the guard is instantiated in the user's modules). */
export const SSE_AUTH_EXPORTS = [SseAuthService, SseAuthExpiryService, SseTickets, SSE_CHANNEL_AUTHORIZER];
