import { ApiProperty } from '@nestjs/swagger';
import { MAX_PROMPT_LENGTH } from './demo-answer.js';

/** The body of `POST /assistant/runs`, as `AssistantPromptPipe` checks it. */
export class AssistantPromptDto {
  @ApiProperty({
    minLength: 1,
    maxLength: MAX_PROMPT_LENGTH,
    example: 'How do resumable runs work?',
    description: `What to answer: 1 to ${MAX_PROMPT_LENGTH} characters, not blank.`,
  })
  prompt!: string;
}
