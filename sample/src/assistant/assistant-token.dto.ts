import { ApiProperty } from '@nestjs/swagger';

/** The data of a `token` event of the assistant's streams. */
export class AssistantTokenDto {
  @ApiProperty({ example: 'answer ', description: 'The next word of the answer, with the space that follows it.' })
  text!: string;
}
