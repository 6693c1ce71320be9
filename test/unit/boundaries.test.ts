/**
 * The layer rules of .dependency-cruiser.cjs (run by `npm run lint`): each wrong arrow of the design's table, put in
 * a small tree of its own, is caught by the rule named for it; the allowed arrows pass; and the real src/ and
 * sandbox/ have none.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');

interface Violation {
  rule: string;
  from: string;
  to: string;
}

interface Cruised {
  modules: { source: string; dependencies: { resolved: string }[] }[];
  summary: { violations: { rule: { name: string }; from: string; to: string }[] };
}

/** Runs depcruise with the project's rules in `cwd`; its JSON report. */
function cruiseJson(cwd: string, paths: string[]): Cruised {
  const res = spawnSync(process.execPath, [DEPCRUISE, ...paths, '--config', CONFIG, '--output-type', 'json'], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024
  });
  if (!res.stdout) throw new Error(`depcruise printed nothing (exit ${res.status}): ${res.stderr}`);
  return JSON.parse(res.stdout) as Cruised;
}

/** The violations depcruise reports. */
function cruise(cwd: string, paths: string[]): Violation[] {
  return cruiseJson(cwd, paths).summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
}

/** Groups of src/ folders (or top-level files) that import each other in a cycle (strongly connected components). */
function folderCycles(modules: Cruised['modules']): string[][] {
  const part = (f: string) => f.split('/').slice(0, 2).join('/');
  const adj = new Map<string, Set<string>>();
  for (const m of modules.filter((x) => x.source.startsWith('src/'))) {
    for (const d of m.dependencies.filter((x) => x.resolved.startsWith('src/'))) {
      const [a, b] = [part(m.source), part(d.resolved)];
      if (a !== b) adj.set(a, (adj.get(a) ?? new Set()).add(b));
    }
  }
  // Tarjan's algorithm
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    for (const w of adj.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of adj.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** A tree of one-line modules: path → the modules it imports (`type:` first = a type-only import). */
async function tree(dir: string, files: Record<string, string[]>): Promise<void> {
  await copyFile(path.join(ROOT, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
  const all = new Set([
    ...Object.keys(files),
    ...Object.values(files)
      .flat()
      .map((i) => i.replace(/^type:/, ''))
  ]);
  for (const file of all) {
    const imports = files[file] ?? [];
    const rel = (to: string) => {
      const r = path.relative(path.dirname(file), to).replace(/\.ts$/, '.js');
      return r.startsWith('.') ? r : `./${r}`;
    };
    const lines = imports.map((i, n) =>
      i.startsWith('type:')
        ? `import type { T as T${n} } from '${rel(i.slice(5))}';\nexport type U${n} = T${n};`
        : `import { v as v${n} } from '${rel(i)}';\nexport const w${n} = v${n};`
    );
    await mkdir(path.join(dir, path.dirname(file)), { recursive: true });
    await writeFile(path.join(dir, file), `${lines.join('\n')}\nexport const v = 1;\nexport type T = number;\n`);
  }
}

describe('boundary rules (.dependency-cruiser.cjs)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'boundaries-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a wrong arrow fails with the rule named for it; the allowed arrows pass', async () => {
    await tree(dir, {
      // wrong
      'src/oss/cleanup.ts': ['src/pipeline/cleanup.ts', 'src/config/load.ts'],
      'src/arena/exec.ts': ['src/k8s/types.ts'],
      'src/triton/model-config.ts': ['src/config/layout.ts'],
      'src/config/load.ts': ['src/kubeconfig/parse.ts'],
      'src/report/summary.ts': ['src/pipeline/runner.ts'],
      'src/main.ts': ['src/stages/sync.ts'],
      'src/stages/convert.ts': ['src/composition/index.ts'],
      'src/stages/smoke.ts': ['src/triton/client.ts'],
      'src/pipeline/runner.ts': ['src/k8s/client.ts'],
      'src/util/retry.ts': ['src/pipeline/types.ts'],
      'src/hf/client.ts': ['sandbox/hub/server.ts'],
      'sandbox/kube/server.ts': ['src/k8s/types.ts'],
      // allowed
      'src/post.ts': ['src/composition/index.ts', 'src/config/load.ts', 'type:src/pipeline/types.ts'],
      'src/composition/index.ts': ['src/stages/sync.ts', 'src/oss/client.ts', 'src/pipeline/runner.ts'],
      'src/stages/sync.ts': [
        'type:src/oss/client.ts',
        'src/oss/upload.ts',
        'src/config/layout.ts',
        'src/report/outputs.ts'
      ],
      'src/k8s/volume.ts': ['type:src/config/types.ts', 'src/errors.ts', 'src/util/forbidden.ts'],
      'src/report/outputs.ts': ['src/config/layout.ts', 'type:src/pipeline/runner.ts']
    });
    const found = cruise(dir, ['src', 'sandbox']);
    expect(found.sort((a, b) => `${a.from}${a.to}`.localeCompare(`${b.from}${b.to}`))).toEqual(
      [
        { rule: 'adapter-imports-adapter', from: 'src/arena/exec.ts', to: 'src/k8s/types.ts' },
        { rule: 'product-imports-sandbox', from: 'src/hf/client.ts', to: 'sandbox/hub/server.ts' },
        { rule: 'config-imports-layer', from: 'src/config/load.ts', to: 'src/kubeconfig/parse.ts' },
        { rule: 'entry-only-through-composition', from: 'src/main.ts', to: 'src/stages/sync.ts' },
        { rule: 'adapter-imports-layer-above', from: 'src/oss/cleanup.ts', to: 'src/config/load.ts' },
        { rule: 'adapter-imports-layer-above', from: 'src/oss/cleanup.ts', to: 'src/pipeline/cleanup.ts' },
        { rule: 'pipeline-not-stages-or-adapters', from: 'src/pipeline/runner.ts', to: 'src/k8s/client.ts' },
        { rule: 'report-pipeline-types-only', from: 'src/report/summary.ts', to: 'src/pipeline/runner.ts' },
        { rule: 'only-entry-imports-composition', from: 'src/stages/convert.ts', to: 'src/composition/index.ts' },
        { rule: 'stage-builds-client', from: 'src/stages/smoke.ts', to: 'src/triton/client.ts' },
        { rule: 'adapter-imports-layer-above', from: 'src/triton/model-config.ts', to: 'src/config/layout.ts' },
        { rule: 'shared-imports-layer', from: 'src/util/retry.ts', to: 'src/pipeline/types.ts' },
        { rule: 'sandbox-imports-product', from: 'sandbox/kube/server.ts', to: 'src/k8s/types.ts' }
      ].sort((a, b) => `${a.from}${a.to}`.localeCompare(`${b.from}${b.to}`))
    );
  });

  it('a folder-level cycle is found', async () => {
    const cyc = await mkdtemp(path.join(tmpdir(), 'boundaries-cycle-'));
    try {
      await tree(cyc, {
        'src/pipeline/cleanup.ts': ['src/composition/handlers.ts'],
        'src/composition/handlers.ts': ['src/oss/cleanup.ts'],
        'src/oss/cleanup.ts': ['src/pipeline/types.ts']
      });
      expect(folderCycles(cruiseJson(cyc, ['src']).modules)).toEqual([['src/composition', 'src/oss', 'src/pipeline']]);
    } finally {
      await rm(cyc, { recursive: true, force: true });
    }
  });

  it('the product and the sandbox keep every rule, and no src/ folders import each other in a cycle', () => {
    const real = cruiseJson(ROOT, ['src', 'sandbox']);
    expect(real.summary.violations).toEqual([]);
    expect(folderCycles(real.modules)).toEqual([]);
  });
});
