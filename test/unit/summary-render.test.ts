/**
 * The job summary as a user sees it: the Markdown rendered by marked (GitHub-flavoured, as GitHub renders it) and
 * its mermaid block parsed by the `mermaid` package itself (parse + the gantt tasks' dates, no DOM needed), with the
 * axis ticks mermaid would draw (d3's time scale, the one mermaid's gantt renderer uses) labelled distinctly.
 */
import { marked, type Tokens } from 'marked';
import mermaid from 'mermaid';
import { scaleTime, utcFormat } from 'd3';
import { loadConfig } from '../../src/config/load.js';
import { axisFormat, renderSummary } from '../../src/report/summary.js';
import type { RunReport } from '../../src/pipeline/runner.js';
import type { StageResult } from '../../src/pipeline/types.js';

const config = loadConfig({
  getInput: (n) =>
    ({ model: 'org/m', 'oss-bucket': 'bkt', 'oss-access-key-id': 'ak', 'oss-access-key-secret': 'sk', version: 'v1' })[
      n
    ],
  env: { KUBECONFIG: '/k' }
});

const T0 = Date.parse('2026-11-25T10:00:00.000Z');

/** A run whose stages take these many ms one after the other, with the figures a real run records. */
function run(durations: readonly number[]): RunReport {
  const names = ['setup', 'sync', 'storage', 'convert', 'deploy', 'smoke'] as const;
  let t = T0;
  const results: StageResult[] = durations.map((ms, i) => {
    const r: StageResult = {
      stage: names[i],
      status: 'done',
      summary: `${names[i]} moved 3 files (1.5 GiB) in ${ms} ms`,
      durationMs: ms,
      startedAt: new Date(t).toISOString(),
      details: { files: 3, bytes: 1610612736 }
    };
    t += ms;
    return r;
  });
  return { ok: true, results, outputs: {}, markdown: [], state: {} };
}

function mermaidBlocks(md: string): string[] {
  return marked
    .lexer(md, { gfm: true })
    .filter((t): t is Tokens.Code => t.type === 'code' && (t as Tokens.Code).lang === 'mermaid')
    .map((t) => t.text);
}

/** The labels of the ticks mermaid's gantt draws for this chart (d3 scaleTime over the tasks, about ten ticks). */
function axisLabels(tasks: { startTime: Date; endTime: Date }[], format: string): string[] {
  const min = Math.min(...tasks.map((t) => t.startTime.getTime()));
  const max = Math.max(...tasks.map((t) => t.endTime.getTime()));
  return scaleTime().domain([min, max]).ticks(10).map(utcFormat(format));
}

describe('the job summary rendered', () => {
  it.each([
    ['a few seconds', [400, 900, 300, 700, 500, 600]],
    ['under a minute', [2_000, 30_000, 1_000, 9_000, 4_000, 3_000]],
    ['half an hour', [5_000, 600_000, 20_000, 900_000, 240_000, 60_000]],
    ['three hours', [5_000, 3_600_000, 20_000, 5_400_000, 1_200_000, 60_000]]
  ])('%s: the table has no repeated figures, the gantt parses and its axis labels are distinct', async (_n, ms) => {
    const md = renderSummary(config, run(ms));
    const tokens = marked.lexer(md, { gfm: true });
    const table = tokens.find((t): t is Tokens.Table => t.type === 'table')!;
    expect(table.header.map((h) => h.text)).toEqual(['stage', 'result', 'what happened', 'time']);
    expect(table.rows).toHaveLength(ms.length);
    for (const row of table.rows) expect(row[2].text).not.toMatch(/\(files: |bytes: /);
    // the figures are kept, folded in a <details> block
    expect(marked.parse(md, { async: false })).toMatch(/<details><summary>[^<]+<\/summary>[\s\S]*<td>1610612736<\/td>/);

    const blocks = mermaidBlocks(md);
    expect(blocks).toHaveLength(1);
    await expect(mermaid.parse(blocks[0])).resolves.toMatchObject({ diagramType: 'gantt' });
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(blocks[0]);
    const db = diagram.db as unknown as {
      getTasks(): { id: string; startTime: Date; endTime: Date }[];
      getAxisFormat(): string;
    };
    const tasks = db.getTasks();
    expect(tasks.map((t) => t.id)).toEqual(run(ms).results.map((r) => r.stage));
    expect(tasks.map((t) => t.endTime.getTime() - t.startTime.getTime())).toEqual(ms);
    const labels = axisLabels(tasks, db.getAxisFormat());
    expect(labels.length).toBeGreaterThan(2);
    expect(new Set(labels).size).toBe(labels.length);
  });

  it('would repeat labels on a short run and wrap at the hour on a long one with a fixed %M:%S', () => {
    const at = (ms: number) => [{ startTime: new Date(T0), endTime: new Date(T0 + ms) }];
    const short = axisLabels(at(3_000), '%M:%S');
    expect(new Set(short).size).toBeLessThan(short.length);
    const long = axisLabels(at(3 * 3_600_000), '%M:%S');
    expect(new Set(long).size).toBeLessThan(long.length);
    expect(axisFormat(3_000)).not.toBe('%M:%S');
    expect(axisFormat(3 * 3_600_000)).not.toBe('%M:%S');
  });
});
