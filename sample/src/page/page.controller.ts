import { Controller, Get, NotFoundException, Param, StreamableFile } from '@nestjs/common';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { samplePublicDir } from '../public-dir.js';
import { sampleClientDir } from './client-dir.js';

/** A file name of the compiled client: lowercase letters, digits, dots and dashes, ending in `.js`. */
const CLIENT_FILE = /^[a-z0-9][a-z0-9.-]*\.js$/;

/**
 * The page and its assets, from `sample/public`, and the typed client it
 * imports as ES modules (`/lib/client/*.js`, `/lib/protocol/event-stream-parser.js`,
 * see `sampleClientDir()`): routes instead of a static-files plugin, so that
 * the sample serves them the same way on Express and on Fastify. Only the
 * files the client folder lists are served, by exact name: no path reaches
 * anything else.
 */
@Controller()
export class PageController {
  private readonly dir = samplePublicDir();
  private readonly clientDir = sampleClientDir();
  /** The client's files, read once (the folder is a build output). */
  private readonly clientFiles = new Set(
    this.clientDir && existsSync(join(this.clientDir, 'client'))
      ? readdirSync(join(this.clientDir, 'client')).filter((name) => CLIENT_FILE.test(name))
      : [],
  );

  @Get()
  page(): StreamableFile {
    return this.file('index.html', 'text/html; charset=utf-8');
  }

  @Get('app.js')
  script(): StreamableFile {
    return this.file('app.js', 'text/javascript; charset=utf-8');
  }

  /** The page's "Server" panel, a module that app.js imports. */
  @Get('server-panel.js')
  serverPanel(): StreamableFile {
    return this.file('server-panel.js', 'text/javascript; charset=utf-8');
  }

  /** The page's "Assistant" panel, a module the page loads beside app.js. */
  @Get('assistant.js')
  assistant(): StreamableFile {
    return this.file('assistant.js', 'text/javascript; charset=utf-8');
  }

  @Get('style.css')
  style(): StreamableFile {
    return this.file('style.css', 'text/css; charset=utf-8');
  }

  @Get('lib/client/:file')
  client(@Param('file') file: string): StreamableFile {
    if (!this.clientDir || !this.clientFiles.has(file)) throw this.noClientFile(`/lib/client/${file}`);
    return this.module(join(this.clientDir, 'client', file));
  }

  @Get('lib/protocol/:file')
  parser(@Param('file') file: string): StreamableFile {
    if (!this.clientDir || file !== 'event-stream-parser.js') throw this.noClientFile(`/lib/protocol/${file}`);
    return this.module(join(this.clientDir, 'protocol', file));
  }

  private module(path: string): StreamableFile {
    if (!existsSync(path)) throw this.noClientFile(path);
    return new StreamableFile(readFileSync(path), { type: 'text/javascript; charset=utf-8' });
  }

  private noClientFile(path: string): NotFoundException {
    return new NotFoundException(
      this.clientDir
        ? `${path} is not a file of the typed client.`
        : 'The typed client is not built: run `npm run build` (npm start does), or set SAMPLE_CLIENT_DIR.',
    );
  }

  private file(name: string, type: string): StreamableFile {
    return new StreamableFile(readFileSync(join(this.dir, name)), { type });
  }
}
