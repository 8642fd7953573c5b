import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Who wrote a note: a DTO nested in another. */
export class AuthorDto {
  @ApiProperty({ example: 'ada' })
  id!: string;
}

/** The data of a `note` event. */
export class NoteDto {
  @ApiProperty({ example: 'Hello' })
  text!: string;

  @ApiProperty({ type: () => AuthorDto })
  author!: AuthorDto;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'Set when the note was edited.' })
  editedAt?: string | null;
}

/** One item of a `batch` event (its data is an array of these). */
export class ItemDto {
  @ApiProperty({ type: 'integer' })
  n!: number;
}
