import { ApiProperty } from '@nestjs/swagger';

/** The data of a `message` event of `/rooms/:room/events`, as `POST /rooms/:room/messages` publishes it. */
export class RoomMessageDto {
  @ApiProperty({ example: 'lobby', description: 'The room it was posted to.' })
  room!: string;

  @ApiProperty({ example: 'Hello', description: 'What was said.' })
  text!: string;

  @ApiProperty({ example: 'alice', description: 'The id of the user who posted it.' })
  user!: string;

  @ApiProperty({ format: 'date-time', example: '2026-12-01T14:00:00.000Z', description: 'When it was posted.' })
  at!: string;
}
