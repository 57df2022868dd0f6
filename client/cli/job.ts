import type { RunInputInit, TaskInputInit, TaskResult } from '../../core/run.ts';
import type { BosunClient, RunHandle } from '../client.ts';

/** What a command needs from a connected client: a subset of `BosunClient` (without its
 * typed-output overloads), so tests fake it easily. */
export type CliClient = Pick<BosunClient, 'getHandle' | 'inbox' | 'stats' | 'mcpInventory' | 'forget' | 'erasures'> & {
  start(input: RunInputInit): Promise<RunHandle>;
  startTask(input: TaskInputInit): Promise<RunHandle<TaskResult>>;
  close(): Promise<void>;
};

/** Where a command writes. */
export interface Output {
  /** One block of text to stdout / stderr (a newline is added). */
  out(text: string): void;
  err(text: string): void;
  /** Text to stdout as it is, no newline added (streamed output). */
  write(text: string): void;
  /** `value` as JSON when the command has `--json`, else `text`. */
  print(value: unknown, text: string): void;
}

/**
 * A command checked locally (its files read, its input validated) and ready to run once
 * connected: bad input fails before any connection is made.
 */
export interface Job {
  /** The run the command is about, for error messages; a job that starts one sets it once known. */
  runId?: string;
  /** Does the work and resolves with the exit code. */
  run(client: CliClient, output: Output): Promise<number>;
}
