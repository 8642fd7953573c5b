import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import type { AssistantPromptDto } from './assistant-prompt.dto.js';
import { MAX_PROMPT_LENGTH } from './demo-answer.js';

/**
 * Validates `{ "prompt": string }`: 1 to 200 characters (code points), not
 * blank, and drops any other key; else 400 with `ValidationPipe`'s shape (a
 * list of messages naming the field), before any stream byte.
 */
@Injectable()
export class AssistantPromptPipe implements PipeTransform<unknown, AssistantPromptDto> {
  transform(body: unknown): AssistantPromptDto {
    const prompt = (body as { prompt?: unknown } | null | undefined)?.prompt;
    if (typeof prompt !== 'string') throw new BadRequestException(['prompt must be a string']);
    const length = [...prompt].length;
    if (length < 1 || length > MAX_PROMPT_LENGTH) {
      throw new BadRequestException([`prompt must be 1 to ${MAX_PROMPT_LENGTH} characters long (got ${length})`]);
    }
    if (prompt.trim() === '') throw new BadRequestException(['prompt must not be blank']);
    return { prompt };
  }
}
