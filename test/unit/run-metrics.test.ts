import type { MetricMeter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { make } from '../../workflows/failures.ts';
import {
  answerSource,
  outcomeReason,
  runEndLabels,
  runMetricBuckets,
  runMetricNames,
  type RunEnd,
} from '../../core/run-metrics.ts';
import { recordRunEnd } from '../../workflows/run-metrics.ts';
import { recordingMeter } from '../helpers/recording-meter.ts';

const base: Omit<RunEnd, 'outcome'> = {
  agent: 'support',
  costUsd: 0.0031,
  steps: 3,
  escalations: 0,
  latencyMs: 4_210.4,
  humanWaitMs: 0,
  humanTimeouts: 0,
};
const modelAnswer: RunEnd['outcome'] = { kind: 'answer', text: 'ok', truncated: false };

describe('per-run metric labels', () => {
  it('tells model, human and policy answers apart', () => {
    expect(answerSource('model')).toBe('model');
    expect(answerSource('human:carol')).toBe('human');
    expect(answerSource('policy:not_in_knowledge_base')).toBe('policy');
    expect(answerSource('gpt-4.1')).toBe('other');
    expect(runEndLabels({ ...base, outcome: modelAnswer }).answered_by).toBe('model');
    expect(
      runEndLabels({ ...base, outcome: { ...modelAnswer, answeredBy: 'policy:not_in_knowledge_base' } }).answered_by,
    ).toBe('policy');
  });

  it('names why a run ended: failure type, escalation or stop reason, budget', () => {
    expect(outcomeReason({ kind: 'failed', failure: make('timeout', 'model call timed out') })).toBe('timeout');
    expect(outcomeReason({ kind: 'escalated', reason: 'invalid_output', message: 'm' })).toBe('invalid_output');
    expect(outcomeReason({ kind: 'stopped', reason: 'cancelled', message: 'm', summary: 's' })).toBe('cancelled');
    expect(outcomeReason({ kind: 'budget_exhausted', budget: 'wall_clock', limit: 1, summary: 's' })).toBe(
      'wall_clock',
    );
    expect(outcomeReason(modelAnswer)).toBe('none');
  });

  it('labels a run with its outcome word, validation and retrieval verdict', () => {
    expect(
      runEndLabels({
        ...base,
        outcome: { kind: 'failed', failure: make('rate_limited', '429') },
        validation: 'repaired',
        retrieval: { weak: false },
      }),
    ).toEqual({
      agent: 'support',
      outcome: 'failed',
      reason: 'rate_limited',
      answered_by: 'none',
      validation: 'repaired',
      retrieval: 'relevant',
      sub_agent: 'false',
    });
    expect(runEndLabels({ ...base, outcome: modelAnswer, subAgent: true })).toMatchObject({ sub_agent: 'true' });
    expect(runEndLabels({ ...base, outcome: modelAnswer, retrieval: { weak: true } })).toMatchObject({
      outcome: 'completed',
      validation: 'none',
      retrieval: 'weak',
    });
  });

  it('has buckets for every histogram, starting at 0 where "none" is the figure', () => {
    const histograms = Object.values(runMetricNames).filter((n) => n !== runMetricNames.runs);
    expect(Object.keys(runMetricBuckets).sort()).toEqual([...histograms].sort());
    for (const buckets of Object.values(runMetricBuckets)) expect([...buckets].sort((a, b) => a - b)).toEqual(buckets);
    expect(runMetricBuckets[runMetricNames.escalations][0]).toBe(0);
    expect(runMetricBuckets[runMetricNames.humanTimeouts][0]).toBe(0);
  });
});

describe('recordRunEnd', () => {
  it('counts the run by its labels and records cost, steps, escalations and both latencies', () => {
    const meter = recordingMeter();
    recordRunEnd({ ...base, outcome: modelAnswer, escalations: 1, latencyMs: 64_000, humanWaitMs: 60_000 }, meter);
    const short = { agent: 'support', outcome: 'completed' };
    expect(meter.points.map((p) => [p.name, p.kind, p.valueType, p.unit, p.value, p.tags])).toEqual([
      [
        'bosun_runs',
        'counter',
        'int',
        '1',
        1,
        {
          agent: 'support',
          outcome: 'completed',
          reason: 'none',
          answered_by: 'model',
          validation: 'none',
          retrieval: 'none',
          sub_agent: 'false',
        },
      ],
      ['bosun_run_cost_usd', 'histogram', 'float', 'USD', 0.0031, short],
      ['bosun_run_steps', 'histogram', 'int', '1', 3, short],
      ['bosun_run_escalations', 'histogram', 'int', '1', 1, short],
      ['bosun_run_latency', 'histogram', 'int', 'ms', 64_000, short],
      ['bosun_run_latency_excl_human', 'histogram', 'int', 'ms', 4_000, short],
      ['bosun_run_human_timeouts', 'histogram', 'int', '1', 0, short],
    ]);
  });

  it('leaves out the human-wait figures a run does not give, and values the SDK would throw on', () => {
    const meter = recordingMeter();
    const { humanWaitMs: _w, humanTimeouts: _t, ...withoutHuman } = base;
    recordRunEnd({ ...withoutHuman, outcome: modelAnswer, costUsd: Number.NaN, latencyMs: -1 }, meter);
    expect(meter.points.map((p) => p.name)).toEqual(['bosun_runs', 'bosun_run_steps', 'bosun_run_escalations']);
  });

  it('never throws into workflow code, even outside a workflow or with a broken meter', () => {
    expect(() => recordRunEnd({ ...base, outcome: modelAnswer })).not.toThrow();
    const broken = {
      createCounter: () => {
        throw new Error('x');
      },
      createHistogram: () => {
        throw new Error('x');
      },
    } as unknown as MetricMeter;
    expect(() => recordRunEnd({ ...base, outcome: modelAnswer }, broken)).not.toThrow();
  });
});
