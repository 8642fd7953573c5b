import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { BehaviorSubject, type Observable } from 'rxjs';
import { SAMPLE_CONFIG } from '../config/sample-config.module.js';
import { MAX_RUNNING_JOBS, type SampleConfig } from '../config/sample-config.js';
import { TooManyJobsException } from './too-many-jobs.exception.js';

/** A simulated job: ten steps over `JOB_MS`, its percent a `BehaviorSubject` that completes at 100. */
interface Job {
  id: string;
  owner: string;
  /** When it ends (ms since the epoch). */
  endsAt: number;
  percent: BehaviorSubject<number>;
  timer: ReturnType<typeof setInterval>;
}

export const JOB_STEPS = 10;

/**
 * Runs simulated jobs and owns their timers: a finished job is forgotten at
 * once, and every timer still running is cleared when the app shuts down.
 * At most `JOBS_PER_USER` run at once for one user, and 100 in all, so that
 * one user cannot take every slot.
 */
@Injectable()
export class JobsService implements OnApplicationShutdown {
  private readonly jobs = new Map<string, Job>();

  constructor(@Inject(SAMPLE_CONFIG) private readonly config: SampleConfig) {}

  /** Starts a job for `owner`; returns its id. Throws `TooManyJobsException` (429) past a cap. */
  start(owner: string): string {
    const perUser = this.config.jobsPerUser;
    const mine = [...this.jobs.values()].filter((job) => job.owner === owner);
    if (mine.length >= perUser) {
      throw new TooManyJobsException(
        perUser === 1
          ? 'at most 1 job per user runs at once; wait for it to finish'
          : `at most ${perUser} jobs per user run at once; wait for one to finish`,
        secondsUntilOneEnds(mine),
      );
    }
    if (this.jobs.size >= MAX_RUNNING_JOBS) {
      throw new TooManyJobsException(
        `at most ${MAX_RUNNING_JOBS} jobs run at once; try again later`,
        secondsUntilOneEnds([...this.jobs.values()]),
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
    this.jobs.set(id, { id, owner, endsAt: Date.now() + this.config.jobMs, percent, timer });
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

/** Whole seconds (at least 1) until the first of `jobs` ends. */
function secondsUntilOneEnds(jobs: Job[]): number {
  const first = Math.min(...jobs.map((job) => job.endsAt));
  return Math.max(1, Math.ceil((first - Date.now()) / 1000));
}
