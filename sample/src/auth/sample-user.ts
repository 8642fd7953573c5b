import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** Who a token belongs to: `request.user` once a guard accepted the request. */
export interface SampleUser {
  /** The user id of `SSE_TOKENS` (the hub counts streams per user by it). */
  id: string;
}

/** Injects `request.user`, as `StreamAuthGuard` or `BearerAuthGuard` set it. */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): SampleUser =>
    context.switchToHttp().getRequest<{ user: SampleUser }>().user,
);
