import { HttpException, HttpStatus, Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { BehaviorSubject, type Observable } from 'rxjs';
import { SAMPLE_CONFIG } from '../config/sample-config.module.js';
import type { SampleConfig } from '../config/sample-config.js';

/** A simulated job: ten steps over `JOB_MS`, its percent a `BehaviorSubject` that completes at 100. */
interface Job {
  id: string;
  owner: string;
  percent: BehaviorSubject<number>;
  timer: ReturnType<typeof setInterval>;
}

export const JOB_STEPS = 10;
/** Jobs running at once, for the whole process: a demo must not be turned into a timer bomb. */
export const MAX_RUNNING_JOBS = 100;

/**
 * Runs simulated jobs and owns their timers: a finished job is forgotten at
 * once, and every timer still running is cleared when the app shuts down.
 */
@Injectable()
export class JobsService implements OnApplicationShutdown {
  private readonly jobs = new Map<string, Job>();

  constructor(@Inject(SAMPLE_CONFIG) private readonly config: SampleConfig) {}

  /** Starts a job for `owner`; returns its id. */
  start(owner: string): string {
    if (this.jobs.size >= MAX_RUNNING_JOBS) {
      throw new HttpException(
        `at most ${MAX_RUNNING_JOBS} jobs run at once; try again later`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    const id = randomUUID();
    const percent = new BehaviorSubject(0);
    let step = 0;
    const timer = setInterval(() => {
      step++;
      percent.next((step * 100) / JOB_STEPS);
      if (step === JOB_STEPS) {
        clearInterval(timer);
        this.jobs.delete(id);
        percent.complete();
      }
    }, this.config.jobMs / JOB_STEPS);
    this.jobs.set(id, { id, owner, percent, timer });
    return id;
  }

  /**
   * The progress of a running job of `owner`: the current percent, then each
   * step, completing after 100. `undefined` when there is no such job (never
   * started, finished, or someone else's).
   */
  progress(id: string, owner: string): Observable<number> | undefined {
    const job = this.jobs.get(id);
    return job && job.owner === owner ? job.percent.asObservable() : undefined;
  }

  /** Jobs running now. */
  get running(): number {
    return this.jobs.size;
  }

  onApplicationShutdown(): void {
    for (const job of this.jobs.values()) clearInterval(job.timer);
    this.jobs.clear();
  }
}
