import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { deferred } from '../../utils/wait.js';

/** Holds the app's shutdown in `beforeApplicationShutdown` until the test releases it: a window to probe a closing app. */
@Injectable()
export class ShutdownGate implements BeforeApplicationShutdown {
  /** Resolves once the shutdown reached the gate (the server still listens). */
  readonly reached = deferred();
  private readonly released = deferred();

  release(): void {
    this.released.resolve();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.reached.resolve();
    await this.released.promise;
  }
}
