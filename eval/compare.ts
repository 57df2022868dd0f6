import { z } from 'zod';

/**
 * The gate for prompt and model changes: a new evaluation against a stored report, case by
 * case. Each variant is compared with the baseline's variant of the same name (or, when the
 * baseline holds a single variant, with that one: "prompt-v2 against what ships today"),
 * over the cases both ran. A variant regresses when its graded success rate on those cases
 * falls by more than the threshold; the cases that went from pass to fail are named.
 */

/** The part of a stored report the gate reads (a report from an older harness version
 * that has these fields still compares). */
export const baselineReportSchema = z.object({
  cases: z.array(z.object({ caseId: z.string(), variant: z.string(), pass: z.boolean() })),
});
export type BaselineReport = z.infer<typeof baselineReportSchema>;

export interface VariantGate {
  variant: string;
  baselineVariant: string;
  /** Cases both ran. */
  compared: number;
  baselineRate: number;
  rate: number;
  /** rate − baselineRate, over the compared cases. */
  delta: number;
  /** Passed in the baseline, fail now. */
  regressed: string[];
  /** Failed in the baseline, pass now. */
  fixed: string[];
  pass: boolean;
}

export interface GateResult {
  baselineFile: string;
  threshold: number;
  variants: VariantGate[];
  pass: boolean;
  notes: string[];
}

export class BaselineError extends Error {
  override readonly name = 'BaselineError';
}

export function parseBaseline(text: string, file: string): BaselineReport {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new BaselineError(`--baseline ${file}: not JSON (${(err as Error).message})`);
  }
  const parsed = baselineReportSchema.safeParse(json);
  if (!parsed.success)
    throw new BaselineError(
      `--baseline ${file}: not an eval report (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`,
    );
  return parsed.data;
}

export function compareToBaseline(
  current: readonly { caseId: string; variant: string; pass: boolean }[],
  baseline: BaselineReport,
  opts: { threshold: number; baselineFile: string },
): GateResult {
  const notes: string[] = [];
  const baseVariants = [...new Set(baseline.cases.map((c) => c.variant))];
  const variants = [...new Set(current.map((c) => c.variant))];
  const gates: VariantGate[] = [];
  for (const variant of variants) {
    const baselineVariant = baseVariants.includes(variant)
      ? variant
      : baseVariants.length === 1
        ? baseVariants[0]!
        : undefined;
    if (baselineVariant === undefined) {
      notes.push(
        `variant ${variant}: the baseline has no variant of that name (it has ${baseVariants.join(', ')}); not gated`,
      );
      continue;
    }
    const before = new Map(baseline.cases.filter((c) => c.variant === baselineVariant).map((c) => [c.caseId, c.pass]));
    const now = current.filter((c) => c.variant === variant);
    const both = now.filter((c) => before.has(c.caseId));
    const missing = now.length - both.length;
    if (missing) notes.push(`variant ${variant}: ${missing} case(s) not in the baseline, not compared`);
    const dropped = [...before.keys()].filter((id) => !now.some((c) => c.caseId === id)).length;
    if (dropped) notes.push(`variant ${variant}: ${dropped} baseline case(s) not run this time`);
    const n = both.length;
    const baselineRate = n ? both.filter((c) => before.get(c.caseId)).length / n : 0;
    const rate = n ? both.filter((c) => c.pass).length / n : 0;
    const delta = rate - baselineRate;
    gates.push({
      variant,
      baselineVariant,
      compared: n,
      baselineRate: round(baselineRate),
      rate: round(rate),
      delta: round(delta),
      regressed: both.filter((c) => before.get(c.caseId) && !c.pass).map((c) => c.caseId),
      fixed: both.filter((c) => !before.get(c.caseId) && c.pass).map((c) => c.caseId),
      // A small epsilon keeps a drop of exactly the threshold from failing on float noise.
      pass: n > 0 && -delta <= opts.threshold + 1e-9,
    });
    if (n === 0) notes.push(`variant ${variant}: no case in common with the baseline: fails the gate`);
  }
  if (gates.length === 0) notes.push('no variant could be compared: the gate fails');
  return {
    baselineFile: opts.baselineFile,
    threshold: opts.threshold,
    variants: gates,
    pass: gates.length > 0 && gates.every((g) => g.pass),
    notes,
  };
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
