// `pnpm bench:charts`: redraws bench/results/<scenario>.svg from every committed <scenario>.json, without running
// a benchmark (`pnpm bench` draws the chart of each scenario it runs).
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ratioChartSvg } from './lib/ratio-chart.js';
import type { ScenarioResult } from './lib/report.js';

const results = join(import.meta.dirname, 'results');
for (const file of (await readdir(results)).sort()) {
  if (!file.endsWith('.json') || file.endsWith('.smoke.json')) continue;
  let result: Partial<ScenarioResult>;
  try {
    result = JSON.parse(await readFile(join(results, file), 'utf8')) as Partial<ScenarioResult>;
  } catch (error) {
    process.stderr.write(
      `bench/results/${file} is not JSON (${(error as Error).message}); run pnpm bench again\n`,
    );
    process.exit(1);
  }
  if (result.scenario === undefined || !Array.isArray(result.rows)) continue; // the soak's results are not ratios
  await writeFile(join(results, `${result.scenario}.svg`), ratioChartSvg(result.scenario, result.rows));
  process.stdout.write(`drew bench/results/${result.scenario}.svg\n`);
}
