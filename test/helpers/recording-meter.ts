/** A MetricMeter for unit tests of the metric helpers: it keeps every value it is given. */
import type {
  MetricCounter,
  MetricGauge,
  MetricHistogram,
  MetricMeter,
  MetricTags,
  NumericMetricValueType,
} from '@temporalio/common';

export interface Point {
  name: string;
  kind: 'counter' | 'histogram' | 'gauge';
  valueType: NumericMetricValueType;
  unit: string | undefined;
  value: number;
  tags: MetricTags;
}

/** A MetricMeter that keeps every value it is given. */
export function recordingMeter(): MetricMeter & { points: Point[]; sum(name: string, tags?: MetricTags): number } {
  const points: Point[] = [];
  const meter: MetricMeter & { points: Point[]; sum(name: string, tags?: MetricTags): number } = {
    points,
    sum: (name, tags = {}) =>
      points
        .filter((p) => p.name === name && Object.entries(tags).every(([k, v]) => p.tags[k] === v))
        .reduce((s, p) => s + p.value, 0),
    createCounter: (name, unit, description) => {
      const c: MetricCounter = {
        name,
        unit,
        description,
        kind: 'counter',
        valueType: 'int',
        add: (value, tags = {}) => {
          if (value < 0) throw new Error('negative');
          points.push({ name, kind: 'counter', valueType: 'int', unit, value, tags });
        },
        withTags: () => c,
      };
      return c;
    },
    createHistogram: (name, valueType = 'int', unit, description) => {
      const h: MetricHistogram = {
        name,
        unit,
        description,
        kind: 'histogram',
        valueType,
        record: (value, tags = {}) => {
          if (value < 0) throw new Error('negative');
          points.push({ name, kind: 'histogram', valueType, unit, value, tags });
        },
        withTags: () => h,
      };
      return h;
    },
    createGauge: (name, valueType = 'int', unit, description) => {
      const g: MetricGauge = { name, unit, description, kind: 'gauge', valueType, set: () => {}, withTags: () => g };
      return g;
    },
    withTags: () => meter,
  };
  return meter;
}
