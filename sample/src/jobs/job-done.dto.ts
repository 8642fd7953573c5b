import { ApiProperty } from '@nestjs/swagger';

/** The data of the `done` event that ends `/jobs/:id/events`. */
export class JobDoneDto {
  @ApiProperty({ example: 'j1', description: 'The id of the job that finished.' })
  id!: string;
}
