import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { SAMPLE_CONFIG } from '../config/sample-config.module.js';
import type { SampleConfig } from '../config/sample-config.js';
import { demoAnswerTokens } from './demo-answer.js';

/**
 * A deterministic demo text generator, NOT a model: it stands where a model
 * client would (an `AsyncIterable` of tokens that stops when its signal
 * aborts), to show the mechanics of resumable runs without one. It writes the
 * fixed answer of `demoAnswer()` one word at a time, each after
 * `ASSISTANT_TOKEN_MS`. Its only state is how many generations are in flight,
 * and its only timer the pause before the next word, which the run's signal
 * cuts short: a cancel, an idle run or a shutdown leaves nothing running.
 *
 * Swap it for a model client whose `tokens(prompt, signal)` has the same
 * shape, and the assistant's routes stay as they are.
 */
@Injectable()
export class DemoTextGenerator {
  private inFlight = 0;

  constructor(@Inject(SAMPLE_CONFIG) private readonly config: SampleConfig) {}

  /** Generations that have begun and not stopped yet (completed, or left at their signal's abort). */
  get generating(): number {
    return this.inFlight;
  }

  /**
   * The words of the answer to `prompt`, one every `ASSISTANT_TOKEN_MS`. When
   * `signal` aborts, the pause in progress rejects (an `AbortError`) and no
   * other word is written.
   */
  async *tokens(prompt: string, signal: AbortSignal): AsyncGenerator<string, void, undefined> {
    this.inFlight++;
    try {
      for (const token of demoAnswerTokens(prompt)) {
        await sleep(this.config.assistantTokenMs, undefined, { signal });
        yield token;
      }
    } finally {
      this.inFlight--;
    }
  }
}
