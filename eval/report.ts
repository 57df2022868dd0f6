import { summarizeFacts, type RunStats } from '../client/stats.ts';
import { defaultPrices, type Price } from '../core/pricing.ts';
import type { RunResult } from '../core/run.ts';
import type { GateResult } from './compare.ts';
import { MULTI_STEP_REQUESTS, recordedShares, type CacheShares, type PrefixShare } from './cache-share.ts';
import type { CaseOutcome } from './run-case.ts';
import type { Variant } from './variants.ts';

/**
 * The evaluation report: per variant the graded success rate, the six business metrics of
 * its runs (computed by `bosun stats`'s own arithmetic, `summarizeFacts`), what it cost per
 * graded success and how cache friendly its requests were; every case's checks; and the
 * economics — each variant's cost per graded success against the naive baseline.
 */

export interface VariantSummary {
  variant: string;
  description?: string | undefined;
  cases: number;
  passed: number;
  /** Graded successes / cases (a case whose run could not be had counts as a failure). */
  gradedSuccessRate: number;
  /** Cases whose run could not be had at all (start refused, no result in time). */
  errors: number;
  /** The six business metrics over the variant's runs (`docs/metrics.md`). */
  metrics: RunStats;
  costUsd: number;
  /** All runs' cost / graded successes (failures are paid for too); null without successes. */
  costPerGradedSuccessUsd: number | null;
  /** The model-graded checks' own cost, apart. */
  judgeCostUsd: number;
  /** The step classifier's calls (purpose `classify`) and their cost — part of `costUsd`. */
  classifier: { calls: number; costUsd: number };
  /** Models the variant's calls used, with the price each was charged at. */
  prices: Record<string, Price | null>;
  cache: CacheShares;
  /** Per case tag: cases, graded successes and cost — where a variant saves or loses. */
  byTag?: Record<string, TagSummary>;
}

export interface TagSummary {
  cases: number;
  passed: number;
  costUsd: number;
  costPerGradedSuccessUsd: number | null;
}

export interface Economics {
  baseline: string;
  /** Per other variant: its cost per graded success / the baseline's, and whether it
   * succeeded as often (graded success rate at least the baseline's). */
  ratios: { variant: string; ratio: number | null; equalSuccess: boolean; goalMet: boolean | null }[];
  /** The same ratio per case tag (cost per graded success on the tag's cases), for reading
   * where the savings come from; the goal is judged on the whole suite only. */
  byTag?: { variant: string; tag: string; ratio: number | null; equalSuccess: boolean }[];
  /** The goal issue 19 sets: at most this share of the naive cost at equal graded success. */
  goal: number;
}

export interface EvalReport {
  suite: string;
  startedAt: string;
  wallMs: number;
  variants: VariantSummary[];
  economics?: Economics | undefined;
  /** Every case of every variant, without the run's whole result. */
  cases: Omit<CaseOutcome, 'result' | 'facts'>[];
  /** The baseline comparison, when `--baseline` was given. */
  gate?: GateResult | undefined;
}

export function summarizeVariant(
  variant: Variant,
  outcomes: readonly CaseOutcome[],
  wire: { all: PrefixShare; multiStep: PrefixShare } | null,
  window: { since: string; until: string },
  tagsOf?: (caseId: string) => readonly string[],
): VariantSummary {
  const passed = outcomes.filter((o) => o.pass).length;
  const results = outcomes.flatMap((o) => (o.result ? [o.result] : []));
  const costUsd = round(
    outcomes.reduce((s, o) => s + o.costUsd, 0),
    9,
  );
  return {
    variant: variant.name,
    description: variant.description,
    cases: outcomes.length,
    passed,
    gradedSuccessRate: outcomes.length ? round(passed / outcomes.length, 4) : 0,
    errors: outcomes.filter((o) => o.error !== undefined).length,
    metrics: summarizeFacts(
      outcomes.flatMap((o) => (o.facts ? [o.facts] : [])),
      window,
    ),
    costUsd,
    costPerGradedSuccessUsd: passed ? round(costUsd / passed, 9) : null,
    judgeCostUsd: round(
      outcomes.reduce((s, o) => s + o.judgeCostUsd, 0),
      9,
    ),
    classifier: classifierCost(results),
    prices: pricesUsed(results),
    cache: { wire: wire?.all ?? null, wireMultiStep: wire?.multiStep ?? null, ...recordedShares(results) },
    ...(tagsOf ? { byTag: summarizeTags(outcomes, tagsOf) } : {}),
  };
}

function summarizeTags(
  outcomes: readonly CaseOutcome[],
  tagsOf: (caseId: string) => readonly string[],
): Record<string, TagSummary> {
  const out: Record<string, TagSummary> = {};
  for (const o of outcomes)
    for (const tag of tagsOf(o.caseId)) {
      const t = (out[tag] ??= { cases: 0, passed: 0, costUsd: 0, costPerGradedSuccessUsd: null });
      t.cases++;
      if (o.pass) t.passed++;
      t.costUsd = round(t.costUsd + o.costUsd, 9);
    }
  for (const t of Object.values(out)) t.costPerGradedSuccessUsd = t.passed ? round(t.costUsd / t.passed, 9) : null;
  return out;
}

/** What the step classifier's calls cost the runs (they are the runs' own calls). */
function classifierCost(results: readonly RunResult[]): { calls: number; costUsd: number } {
  const calls = results.flatMap((r) => r.calls.filter((c) => c.purpose === 'classify'));
  return {
    calls: calls.length,
    costUsd: round(
      calls.reduce((s, c) => s + (c.costUsd ?? 0), 0),
      9,
    ),
  };
}

/** Every model the runs called, with its price as of the run (the default table's). */
function pricesUsed(results: readonly RunResult[]): Record<string, Price | null> {
  const out: Record<string, Price | null> = {};
  for (const r of results)
    for (const c of r.calls) {
      const name = c.model.slice(c.model.indexOf('/') + 1);
      out[c.model] = defaultPrices[name] ?? null;
    }
  return out;
}

/** Each variant's cost per graded success against the baseline's (`naive` by default). */
export function economics(summaries: readonly VariantSummary[], baseline = 'naive', goal = 0.4): Economics | undefined {
  const base = summaries.find((s) => s.variant === baseline);
  if (!base || summaries.length < 2) return undefined;
  const byTag = summaries
    .filter((s) => s !== base)
    .flatMap((s) =>
      Object.entries(s.byTag ?? {}).map(([tag, t]) => {
        const b = base.byTag?.[tag];
        const ratio =
          t.costPerGradedSuccessUsd !== null && b?.costPerGradedSuccessUsd
            ? round(t.costPerGradedSuccessUsd / b.costPerGradedSuccessUsd, 4)
            : null;
        return { variant: s.variant, tag, ratio, equalSuccess: !b || t.passed / t.cases >= b.passed / b.cases };
      }),
    );
  return {
    baseline,
    goal,
    ...(byTag.length ? { byTag } : {}),
    ratios: summaries
      .filter((s) => s !== base)
      .map((s) => {
        const ratio =
          s.costPerGradedSuccessUsd !== null && base.costPerGradedSuccessUsd
            ? round(s.costPerGradedSuccessUsd / base.costPerGradedSuccessUsd, 4)
            : null;
        const equalSuccess = s.gradedSuccessRate >= base.gradedSuccessRate;
        return {
          variant: s.variant,
          ratio,
          equalSuccess,
          goalMet: ratio === null ? null : equalSuccess && ratio <= goal,
        };
      }),
  };
}

/** The report as a person reads it (stdout); the JSON goes to `--out`. */
export function formatReport(report: EvalReport): string {
  const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);
  const usd = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `$${x.toFixed(6)}`);
  const lines: string[] = [
    `suite ${report.suite}: ${report.cases.length} case runs in ${(report.wallMs / 1000).toFixed(1)} s`,
  ];
  for (const v of report.variants) {
    const m = v.metrics;
    lines.push(
      '',
      `variant ${v.variant}${v.description ? ` (${v.description})` : ''}`,
      `  graded success      ${v.passed}/${v.cases} = ${pct(v.gradedSuccessRate)}${v.errors ? ` (${v.errors} without a run result)` : ''}`,
      `  1 task success      ${pct(m.successRate)} (model answers / finished runs; human ${pct(m.humanAnswerRate)}, policy ${pct(m.policyAnswerRate)})`,
      `  2 latency p50/p95   ${m.latencyMs ? `${m.latencyMs.p50}/${m.latencyMs.p95} ms` : '—'}; without human wait ${m.latencyExclHumanMs ? `${m.latencyExclHumanMs.p50}/${m.latencyExclHumanMs.p95} ms` : '—'}; timeouts ${pct(m.timeoutRate)}`,
      `  3 cost              ${usd(m.costUsd)} total, ${usd(m.costPerCompletedUsd)} per completed task, ${usd(v.costPerGradedSuccessUsd)} per graded success${v.classifier.calls ? `; step classifier ${v.classifier.calls} calls, ${usd(v.classifier.costUsd)}` : ''}`,
      `  4 schema validation ${m.validation.runs ? `${pct(m.validation.successRate)} (first try ${pct(m.validation.firstTryRate)}) of ${m.validation.runs}` : '—'}`,
      `  5 escalation rate   ${pct(m.escalationRate)}`,
      `  6 retrieval quality ${m.retrieval.runs ? `${pct(m.retrieval.relevantRate)} of ${m.retrieval.runs}` : '— (no retrieval-augmented runs)'}`,
      `  prompt cache        wire prefix ${pct(v.cache.wire?.share)} of input after step 1 (${pct(v.cache.wire?.shareAllRequests)} of all; ${v.cache.wire?.runs ?? 0} multi-request runs; ${pct(v.cache.wire?.stability)} of each earlier request of the same model reused), recorded stable prefix ${pct(v.cache.recorded.share)}, provider-cached ${pct(v.cache.provider.share)}`,
      `  cache, ≥${MULTI_STEP_REQUESTS} steps     wire prefix ${pct(v.cache.wireMultiStep?.share)} of input after step 1 over ${v.cache.wireMultiStep?.runs ?? 0} runs of ${MULTI_STEP_REQUESTS}+ model requests (goal ≥ 90%: ${v.cache.wireMultiStep?.share == null ? '—' : v.cache.wireMultiStep.share >= 0.9 ? 'met' : 'not met'})`,
      `  cache by run length ${v.cache.wire?.byRequests.map((b) => `${b.requests} requests ${pct(b.share)} (${b.runs} runs)`).join(', ') || '—'}`,
      `  prices              ${
        Object.entries(v.prices)
          .map(([m, p]) =>
            p ? `${m} $${p.inputPerMTok}/$${p.outputPerMTok} per MTok in/out (${p.asOf})` : `${m} unpriced`,
          )
          .join('; ') || '—'
      }`,
    );
    for (const n of m.notes) lines.push(`  note: ${n}`);
    const failed = report.cases.filter((c) => c.variant === v.variant && !c.pass);
    for (const c of failed)
      lines.push(
        `  FAIL ${c.caseId}: ${
          c.error ??
          c.checks
            .filter((x) => !x.pass)
            .map((x) => `${x.name}: ${x.detail}`)
            .join('; ')
        }`,
      );
  }
  if (report.economics) {
    lines.push('', `economics (cost per graded success vs ${report.economics.baseline})`);
    for (const r of report.economics.ratios)
      lines.push(
        `  ${r.variant}: ${r.ratio === null ? '—' : pct(r.ratio)} of ${report.economics.baseline}` +
          `${r.equalSuccess ? ', at equal or better graded success' : ', at LOWER graded success'}` +
          ` (goal ≤ ${pct(report.economics.goal)}: ${r.goalMet === null ? '—' : r.goalMet ? 'met' : 'not met'})`,
      );
    const variants = [...new Set((report.economics.byTag ?? []).map((t) => t.variant))];
    for (const v of variants)
      lines.push(
        `  ${v} by tag: ${(report.economics.byTag ?? [])
          .filter((t) => t.variant === v)
          .map((t) => `${t.tag} ${pct(t.ratio)}${t.equalSuccess ? '' : ' (lower success)'}`)
          .join(', ')}`,
      );
  }
  if (report.gate) {
    lines.push('', `gate against ${report.gate.baselineFile} (threshold ${pct(report.gate.threshold)})`);
    for (const v of report.gate.variants)
      lines.push(
        `  ${v.variant} vs ${v.baselineVariant}: ${pct(v.baselineRate)} → ${pct(v.rate)} (${v.delta >= 0 ? '+' : ''}${(v.delta * 100).toFixed(1)} pts)` +
          `${v.regressed.length ? `; newly failing: ${v.regressed.join(', ')}` : ''}${v.fixed.length ? `; newly passing: ${v.fixed.join(', ')}` : ''}` +
          ` — ${v.pass ? 'ok' : 'REGRESSED'}`,
      );
    for (const n of report.gate.notes) lines.push(`  note: ${n}`);
  }
  return lines.join('\n');
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
