import { ApiProperty } from '@nestjs/swagger';

/** The broker's link in a `stats` event: its state only (its detail names the host of Redis: not on a public route). */
export class BrokerStateDto {
  @ApiProperty({ enum: ['up', 'down', 'resyncing'], example: 'up' })
  state!: 'up' | 'down' | 'resyncing';
}

/** The data of a `stats` event of `/stats/events`: this instance's hub, once a second. */
export class StatsSnapshotDto {
  @ApiProperty({ format: 'date-time', example: '2026-12-01T14:00:00.000Z' })
  at!: string;

  @ApiProperty({ type: 'integer', minimum: 0, example: 4, description: 'Streams open on this instance.' })
  streams!: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 3, description: 'Channels with a stream of this instance.' })
  channels!: number;

  @ApiProperty({ minimum: 0, example: 12.5, description: 'Events published through this instance per second.' })
  eventsPerSecond!: number;

  @ApiProperty({ minimum: 0, example: 40, description: 'Frames handed to streams per second.' })
  deliveredPerSecond!: number;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Frames streams refused, since the start.' })
  dropped!: number;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Streams cut off for reading too slowly, since the start.' })
  slowClientDisconnects!: number;

  @ApiProperty({ type: BrokerStateDto })
  broker!: BrokerStateDto;
}
