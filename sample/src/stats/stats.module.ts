import { Module } from '@nestjs/common';
import { StatsController } from './stats.controller.js';

/** `GET /stats/events`: the hub's numbers as a stream, for the page's "Server" panel. */
@Module({ controllers: [StatsController] })
export class StatsModule {}
