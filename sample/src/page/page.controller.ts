import { Controller, Get, StreamableFile } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { samplePublicDir } from '../public-dir.js';

/**
 * The page and its two assets, from `sample/public`: three routes instead of
 * a static-files plugin, so that the sample serves them the same way on
 * Express and on Fastify.
 */
@Controller()
export class PageController {
  private readonly dir = samplePublicDir();

  @Get()
  page(): StreamableFile {
    return this.file('index.html', 'text/html; charset=utf-8');
  }

  @Get('app.js')
  script(): StreamableFile {
    return this.file('app.js', 'text/javascript; charset=utf-8');
  }

  @Get('style.css')
  style(): StreamableFile {
    return this.file('style.css', 'text/css; charset=utf-8');
  }

  private file(name: string, type: string): StreamableFile {
    return new StreamableFile(readFileSync(join(this.dir, name)), { type });
  }
}
