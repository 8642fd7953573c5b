import { Module } from '@nestjs/common';
import { StatsController } from './stats.controller.js';
import { StatsReadings } from './stats-readings.js';

/** `GET /stats/events`: the hub's numbers as a stream, for the page's "Server" panel. */
@Module({ controllers: [StatsController], providers: [StatsReadings] })
export class StatsModule {}
