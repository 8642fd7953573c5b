import { Module } from '@nestjs/common';
import { PageController } from './page.controller.js';

/** The sample's page (`GET /`, `/app.js`, `/style.css`). */
@Module({ controllers: [PageController] })
export class PageModule {}
