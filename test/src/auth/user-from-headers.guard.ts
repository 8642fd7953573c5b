import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { SseRequest } from '../../../lib/index.js';

/** `x-user` and `x-session` headers become `request.user` ({ id, sid }). */
@Injectable()
export class UserFromHeaders implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<SseRequest>();
    const id = request.headers['x-user'];
    if (typeof id === 'string') request.user = { id, sid: request.headers['x-session'] };
    return true;
  }
}
