import { ApiProperty } from '@nestjs/swagger';

/** The data of a `tick` event of `/ticks`. */
export class TickDto {
  @ApiProperty({ type: 'integer', minimum: 0, example: 41, description: 'How many ticks were sent before this one.' })
  n!: number;

  @ApiProperty({ format: 'date-time', example: '2026-12-01T14:00:00.000Z', description: 'When the tick was sent.' })
  at!: string;
}
