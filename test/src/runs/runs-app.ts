import type { SseBroker, SseModuleOptions, SseRunsModuleOptions } from '../../../lib/index.js';
import { SseRuns, SseRunsModule } from '../../../lib/index.js';
import { startApp, type TestApp } from '../../utils/test-app.js';
import { RunsController } from './runs.controller.js';
import { TokenSource } from './token-source.js';

/** One instance of the runs fixture: the app, its runs, its token source. */
export interface RunsInstance extends TestApp {
  runs: SseRuns;
  source: TokenSource;
}

/** Starts the runs fixture on an ephemeral port, with its own broker if given (shared by instances). */
export async function startRunsApp(
  runs: SseRunsModuleOptions = {},
  options: SseModuleOptions & { broker?: SseBroker } = {},
): Promise<RunsInstance> {
  const app = await startApp(
    { controllers: [RunsController], providers: [TokenSource], imports: [SseRunsModule.forRoot(runs)] },
    { heartbeatMs: 60_000, retryJitter: 0, ...options },
  );
  return { ...app, runs: app.app.get(SseRuns), source: app.app.get(TokenSource) };
}
