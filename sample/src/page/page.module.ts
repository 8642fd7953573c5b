import { Module } from '@nestjs/common';
import { PageController } from './page.controller.js';

/** The sample's page (`GET /`, `/app.js`, `/style.css`) and the typed client it imports (`/lib/client/*.js`). */
@Module({ controllers: [PageController] })
export class PageModule {}
