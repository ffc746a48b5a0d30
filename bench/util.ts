/** Shared helpers for the benchmarks: timing, memory, and one way of printing a figure. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Figure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

const figures: Figure[] = [];

export function report(name: string, value: number, unit: string, note?: string): void {
  const figure: Figure = note === undefined ? { name, value, unit } : { name, value, unit, note };
  figures.push(figure);
  const shown = value >= 100 ? Math.round(value).toLocaleString("en-US") : value.toFixed(2);
  process.stdout.write(`  ${name.padEnd(58)} ${shown.padStart(12)} ${unit}${note ? `   (${note})` : ""}\n`);
}

export function heading(title: string): void {
  process.stdout.write(`\n${title}\n`);
}

export function allFigures(): readonly Figure[] {
  return figures;
}

/** Run `fn` repeatedly for about `ms` milliseconds (at least `min` times); operations per second. */
export async function opsPerSecond(
  ms: number,
  fn: () => Promise<unknown> | unknown,
  min = 1,
): Promise<number> {
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms || n < min) {
    await fn();
    n++;
    if ((n & 15) === 0 || n < 16) elapsed = performance.now() - start;
  }
  elapsed = performance.now() - start;
  return (n / elapsed) * 1000;
}

export function tempDir(prefix = "ralph-bench-"): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
