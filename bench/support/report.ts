/** Shared by the bench/ scripts: side-by-side measurement and reporting. */
import { type LoadResult } from "./load.ts";

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? NaN) : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

/**
 * Runs `measure` for every variant in turn (A B C A B C ...) `rounds` times after one warm-up
 * pass, so slow drifts of the machine hit every variant alike. Returns each variant's runs.
 */
export async function alternate<K extends string, R>(
  variants: readonly K[],
  rounds: number,
  measure: (variant: K, warmup: boolean) => Promise<R>,
): Promise<Record<K, R[]>> {
  const results = Object.fromEntries(variants.map((variant) => [variant, [] as R[]])) as Record<K, R[]>;
  for (const variant of variants) await measure(variant, true);
  // A fresh order every round (fixed seed): what ran just before a variant (a heavy page, a
  // GC, Postgres' background work) does not always fall on the same one.
  let seed = 0x2545f491;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let round = 0; round < rounds; round++) {
    const order = [...variants];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] as K, order[i] as K];
    }
    for (const variant of order) results[variant].push(await measure(variant, false));
  }
  return results;
}

/** Per-round ratios ours[i] / baseline[i] (same round, side by side): median and range. */
export function pairedRatio(ours: number[], baseline: number[]): { median: number; min: number; max: number } {
  const ratios = ours.map((value, index) => value / (baseline[index] ?? NaN));
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

export interface Figure {
  name: string;
  baselineLabel: string;
  baseline: number;
  ours: number;
  unit: string;
  /** ratio = ours / baseline unless given */
  ratio: number;
  /** Range of the per-round ratios, when known. */
  range?: [number, number];
  target?: string;
  met?: boolean;
}

export const figures: Figure[] = [];

function format(value: number, unit: string): string {
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3;
  return `${value.toFixed(digits)} ${unit}`.trim();
}

/** Prints `name: baseline <label> X / ours Y / ratio Z [target]` and keeps it for the summary. */
export function report(figure: Omit<Figure, "ratio"> & { ratio?: number }): Figure {
  const full: Figure = { ...figure, ratio: figure.ratio ?? figure.ours / figure.baseline };
  figures.push(full);
  const verdict = full.target ? `  [target ${full.target}: ${full.met ? "met" : "MISSED"}]` : "";
  const range = full.range ? ` (rounds ${full.range[0].toFixed(2)}–${full.range[1].toFixed(2)})` : "";
  console.log(
    `${full.name}: baseline (${full.baselineLabel}) ${format(full.baseline, full.unit)} / ours ${format(full.ours, full.unit)} / ratio ${full.ratio.toFixed(2)}${range}${verdict}`,
  );
  return full;
}

export function describe(result: LoadResult): string {
  const cpu = Number.isNaN(result.cpuPerRequest) ? "" : `, ${result.cpuPerRequest.toFixed(0)} µs CPU/req`;
  return `${result.rps.toFixed(0)} req/s${cpu}, mean ${result.mean.toFixed(3)} ms, p50 ${result.p50.toFixed(3)} ms, p99 ${result.p99.toFixed(2)} ms, ${result.requests} req, ${result.errors} errors`;
}
