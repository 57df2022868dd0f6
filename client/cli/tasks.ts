/** `task`: one model call, no tools (a single request/response), of a task class. */
import { taskClassSchema } from '../../core/routing.ts';
import type { TaskInput } from '../../core/run.ts';
import { validateTaskInput } from '../client.ts';
import { RunInputError } from '../errors.ts';
import { exampleTaskInstructions } from '../example-agent.ts';
import type { CommandOf, ParseResult } from './command.ts';
import type { CommandArgs } from './flags.ts';
import { loadOutputContract, loadRouting, type InputDeps } from './input-files.ts';
import type { Job } from './job.ts';
import { startJob } from './start-job.ts';
import { defaultModel, parseStartOptions } from './start-options.ts';

export function parseTask(args: CommandArgs<'task'>): ParseResult {
  const common = parseStartOptions(args);
  if ('error' in common) return common;
  const { values, rest } = args;
  const taskClass = taskClassSchema.safeParse(values.class ?? 'extract');
  if (!taskClass.success)
    return { error: `--class must be one of ${taskClassSchema.options.join(', ')} (got "${values.class}")` };
  return {
    kind: 'task',
    ...common,
    taskClass: taskClass.data,
    ...(values.instructions !== undefined ? { instructions: values.instructions } : {}),
    input: rest.join(' ').trim(),
  };
}

/** Builds and validates a single task's input locally. */
async function buildTaskInput(cmd: CommandOf<'task'>, d: InputDeps): Promise<TaskInput> {
  const routing = cmd.routing !== undefined ? await loadRouting(cmd.routing, d) : undefined;
  const output =
    cmd.outputSchemaFile !== undefined ? await loadOutputContract(cmd.outputSchemaFile, d.readFile) : undefined;
  try {
    return validateTaskInput({
      name: `task-${cmd.taskClass}`,
      taskClass: cmd.taskClass,
      instructions: cmd.instructions ?? exampleTaskInstructions[cmd.taskClass],
      input: cmd.input,
      ...(routing ? { routing } : { model: cmd.model ?? defaultModel }),
      ...(output ? { output } : {}),
      ...(cmd.runId !== undefined ? { runId: cmd.runId } : {}),
    });
  } catch (err) {
    throw err instanceof RunInputError ? new RunInputError(err.issues, 'task input') : err;
  }
}

/** Starts the task; prints its id, or with `--wait` its outcome. */
export async function taskJob(cmd: CommandOf<'task'>, d: InputDeps): Promise<Job> {
  const input = await buildTaskInput(cmd, d);
  return startJob('task', { runId: input.runId, wait: cmd.wait, json: cmd.json }, (client) => client.startTask(input));
}
