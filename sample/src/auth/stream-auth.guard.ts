import { Inject, Injectable } from '@nestjs/common';
import { SseAuthGuard, type SseRequest, type SseTicketRecord } from 'nestjs-event-stream';
import { SIGNED_OUT_USERS, type SignedOutUsers } from '../sessions/signed-out-users.interface.js';
import type { SampleUser } from './sample-user.js';

/**
 * The guard of the sample's streams: `SseAuthGuard` (a token, checked by
 * `SampleTokenVerifier`, or a single-use ticket of `POST /tickets`), except
 * that a ticket of a user who signed out everywhere is refused too (401).
 * The verifier sees tokens, never tickets, and a ticket can be redeemed for
 * 30 s: without this, one issued just before a sign-out would open a stream
 * just after it.
 */
@Injectable()
export class StreamAuthGuard extends SseAuthGuard {
  // A property, so that the constructor stays SseAuthGuard's own.
  @Inject(SIGNED_OUT_USERS) private readonly signedOut!: SignedOutUsers;

  protected override async redeemTicket(ticket: string, request: SseRequest): Promise<SseTicketRecord | undefined> {
    const record = await super.redeemTicket(ticket, request);
    if (!record) return undefined;
    return (await this.signedOut.has((record.user as SampleUser).id)) ? undefined : record;
  }
}
