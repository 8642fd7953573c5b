import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

/** The body of `POST /rooms/:room/messages`. */
export interface MessageBody {
  text: string;
}

export const MAX_MESSAGE_LENGTH = 2000;

/**
 * Validates `{ "text": string }`: 1 to 2000 characters (code points, so an
 * emoji counts as one), not blank (`text.trim() === ''`: only spaces, tabs,
 * line breaks or other whitespace), and drops any other key. The page's form
 * (`sample/public/app.js`, `messageTextProblem`) applies the same rules with
 * the same messages before it sends anything.
 *
 * A hand-written pipe for one field keeps the sample free of class-validator
 * and class-transformer, which the package does not need either; with more
 * DTOs, Nest's `ValidationPipe` would be the better choice. Errors use
 * `ValidationPipe`'s shape: 400 with a list of messages.
 */
@Injectable()
export class MessageBodyPipe implements PipeTransform<unknown, MessageBody> {
  transform(body: unknown): MessageBody {
    const text = (body as { text?: unknown } | null | undefined)?.text;
    if (typeof text !== 'string') throw new BadRequestException(['text must be a string']);
    const length = [...text].length;
    if (length < 1 || length > MAX_MESSAGE_LENGTH) {
      throw new BadRequestException([`text must be 1 to ${MAX_MESSAGE_LENGTH} characters long (got ${length})`]);
    }
    if (text.trim() === '') throw new BadRequestException(['text must not be blank']);
    return { text };
  }
}
