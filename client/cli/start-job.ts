import type { RunResult, TaskResult } from '../../core/run.ts';
import { formatResult, resultExitCode } from './format-result.ts';
import type { CliClient, Job } from './job.ts';

/** What `client.start` and `client.startTask` give back: enough to wait for the outcome. */
interface Started {
  runId: string;
  result(): Promise<RunResult | TaskResult>;
}

/**
 * The job of `run` and `task`: start the work, then print its id, or with `--wait` say so on
 * stderr and print its outcome (exit code by `resultExitCode`).
 */
export function startJob(
  what: 'run' | 'task',
  opts: { runId?: string | undefined; wait: boolean; json: boolean },
  start: (client: CliClient) => Promise<Started>,
): Job {
  const job: Job = {
    ...(opts.runId !== undefined ? { runId: opts.runId } : {}),
    async run(client, output) {
      const started = await start(client);
      job.runId = started.runId;
      if (!opts.wait) {
        output.print({ runId: started.runId }, started.runId);
        return 0;
      }
      if (!opts.json) output.err(`started ${what} ${started.runId}; waiting for its result ...`);
      const result = await started.result();
      output.print(result, formatResult(result));
      return resultExitCode(result);
    },
  };
  return job;
}
