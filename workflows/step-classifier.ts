import { classifyAgentStep, type TaskClass } from '../core/routing.ts';
import {
  classifiedStep,
  classifierDecides,
  classifierInput,
  parseStepChoice,
  STEP_CLASSIFIER_INSTRUCTIONS,
  stepChoiceOutput,
} from '../core/step-classifier.ts';
import type { Loop } from './loop.ts';
import { pinPrompt } from './prompts.ts';

/** Callers (one per workflow execution) that were told the classifier's prompt text: the
 * first classification of an execution stores it, later ones send its hash only. */
const told = new WeakSet<object>();

/**
 * The task class of a step's call. Position decides (`classifyAgentStep`) unless the agent
 * turned the step classifier on and the step is not the budget's last: then one `classify` call through
 * the run's model caller — routed (cheap tier by default), within budget, recorded with
 * purpose `classify` — reads the task and the latest turn (the task alone at the first step) and says plan or act. A call that
 * fails, is refused by the budget, or replies with no valid choice leaves it to position; the
 * run notes and the step call's route reason say so.
 *
 * Without the classifier this is `classifyAgentStep` and schedules nothing, so runs without
 * it replay exactly as before.
 */
export async function chooseStepClass(loop: Loop, step: number): Promise<{ taskClass: TaskClass; why: string }> {
  const { run } = loop;
  const { maxSteps, stepClassifier } = run.agent;
  if (!classifierDecides(stepClassifier, step, maxSteps)) return classifyAgentStep(step, maxSteps);
  const { pin, content } = await pinPrompt('bosun/step-classifier', STEP_CLASSIFIER_INSTRUCTIONS);
  if (content !== undefined && !told.has(loop.caller)) {
    loop.caller.knowPrompt(pin, content);
    told.add(loop.caller);
  }
  // The first step has only the task to go on (its conversation holds the task itself).
  const latest = step === 1 ? [] : run.conv.forCall().append;
  const input = classifierInput(run.input.task, latest, stepClassifier!.maxInputChars);
  const r = await loop.caller.call({
    step,
    taskClass: 'classify',
    why: 'step classifier: plan or act for this step',
    purpose: 'classify',
    request: {
      system: '',
      tools: [],
      // No temperature: some models refuse any but their default, and a refused
      // classification would only fall back to position.
      maxOutputTokens: stepClassifier!.maxOutputTokens,
      output: stepChoiceOutput,
    },
    conversation: { inline: [{ role: 'user', content: input }] },
    prompt: pin,
  });
  const outcome =
    r.kind === 'ok'
      ? parseStepChoice(r.response.message.text)
      : { ok: false as const, problem: r.kind === 'refused_by_budget' ? r.reason : `${r.kind}: ${callProblem(r)}` };
  const chosen = classifiedStep(step, maxSteps, outcome);
  run.note(
    outcome.ok
      ? `step ${step}: classified ${outcome.choice.choice}`
      : `step ${step}: step classifier failed (${outcome.problem}); position decides: ${chosen.taskClass}`,
  );
  return chosen;
}

const callProblem = (r: { failure: { message: string } }) => r.failure.message.slice(0, 200);
