import { Controller, Get, StreamableFile } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { samplePublicDir } from '../public-dir.js';

/** The assistant panel's script (`sample/public/assistant.js`), a module the page loads beside `app.js`. */
@Controller()
export class AssistantScriptController {
  private readonly file = join(samplePublicDir(), 'assistant.js');

  @Get('assistant.js')
  script(): StreamableFile {
    return new StreamableFile(readFileSync(this.file), { type: 'text/javascript; charset=utf-8' });
  }
}
