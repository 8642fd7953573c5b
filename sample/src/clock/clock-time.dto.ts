import { ApiProperty } from '@nestjs/swagger';

/** The data of a `time` event of `/clock`. */
export class ClockTimeDto {
  @ApiProperty({ format: 'date-time', example: '2026-12-01T14:00:00.000Z', description: "The server's time." })
  time!: string;
}
