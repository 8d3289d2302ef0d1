// Test helper: Prometheus text exposition parsed with parse-prometheus-text-format.
//
// That parser merges every label set of a histogram into one (flattenMetrics keys buckets by
// `le` alone and keeps _count/_sum only when unlabelled), so a histogram with a local_port
// label comes back as one series with the labels gone. histogramsBy() therefore hands it one
// label value at a time: the family's lines for that value, with that label removed, which
// is a valid unlabelled histogram the parser reads completely.
import { createRequire } from 'node:module';

export interface ParsedMetric {
  labels?: Record<string, string>;
  value?: string;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}
export interface ParsedFamily {
  name: string;
  help: string;
  type: string;
  metrics: ParsedMetric[];
}

// The package ships CommonJS without type declarations.
export const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => ParsedFamily[];

export function metricFamily(families: ParsedFamily[], name: string): ParsedFamily {
  const found = families.find((f) => f.name === name);
  if (found === undefined) throw new Error(`no metric ${name} in ${families.map((f) => f.name).join(', ')}`);
  return found;
}

/** Sum of a counter's series whose labels include `where`. */
export function counterSum(families: ParsedFamily[], name: string, where: Record<string, string> = {}): number {
  return metricFamily(families, name)
    .metrics.filter((m) => Object.entries(where).every(([k, v]) => m.labels?.[k] === v))
    .reduce((sum, m) => sum + Number(m.value), 0);
}

export interface ParsedHistogram {
  buckets: Record<string, number>;
  count: number;
  sum: number;
}

/** Each series of histogram `name`, by the value of `label`, parsed by the parser one at a time. */
export function histogramsBy(text: string, name: string, label: string): Map<string, ParsedHistogram> {
  const lines = text.split('\n');
  const header = lines.filter((l) => l.startsWith(`# HELP ${name} `) || l.startsWith(`# TYPE ${name} `));
  const sampleOf = new RegExp(`^${name}_(bucket|sum|count)\\{`);
  const labelled = new RegExp(`${label}="((?:[^"\\\\]|\\\\.)*)",?`);
  const byValue = new Map<string, string[]>();
  for (const line of lines) {
    if (!sampleOf.test(line)) continue;
    const match = labelled.exec(line);
    if (match === null) continue;
    const rest = line.replace(match[0], '').replace(/,\}/, '}').replace('{}', '');
    byValue.set(match[1]!, [...(byValue.get(match[1]!) ?? []), rest]);
  }
  const result = new Map<string, ParsedHistogram>();
  for (const [value, samples] of byValue) {
    const parsed = metricFamily(parsePrometheus([...header, ...samples, ''].join('\n')), name);
    if (parsed.type !== 'HISTOGRAM' || parsed.metrics.length !== 1)
      throw new Error(`${name}{${label}="${value}"} did not parse as one histogram`);
    const series = parsed.metrics[0]!;
    result.set(value, {
      buckets: Object.fromEntries(Object.entries(series.buckets ?? {}).map(([le, n]) => [le, Number(n)])),
      count: Number(series.count),
      sum: Number(series.sum),
    });
  }
  return result;
}
