import { Controller, Header, Post, UseGuards } from '@nestjs/common';
import { SseTickets } from 'nestjs-event-stream';
import { BearerAuthGuard } from '../auth/bearer-auth.guard.js';
import { CurrentUser, type SampleUser } from '../auth/sample-user.js';
import { PostRateLimitGuard } from '../rate-limit/post-rate-limit.guard.js';

@Controller('tickets')
export class TicketsController {
  constructor(private readonly tickets: SseTickets) {}

  /**
   * POST /tickets (Bearer header): 201 `{ "ticket": "..." }`, a single-use
   * ticket for the user, to open one stream with `?ticket=` within 30 s. The
   * page asks for a new one before every (re)connect. Counts against the
   * user's POST budget (429 with `Retry-After` past it), so that one user
   * cannot flood the ticket store.
   */
  @UseGuards(BearerAuthGuard, PostRateLimitGuard)
  @Post()
  @Header('Cache-Control', 'no-store')
  async issue(@CurrentUser() user: SampleUser): Promise<{ ticket: string }> {
    return { ticket: await this.tickets.issue({ id: user.id }) };
  }
}
