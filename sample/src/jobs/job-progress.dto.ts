import { ApiProperty } from '@nestjs/swagger';

/** The data of a `progress` event of `/jobs/:id/events`. */
export class JobProgressDto {
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 100, example: 40, description: 'How much of the job is done.' })
  percent!: number;
}
