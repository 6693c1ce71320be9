/**
 * Arena's chart directory. Like the real CLI, the stand-in refuses to work without it: it looks in
 * `$ARENA_CHART_DIR` (the stand-in's addition), then `~/charts`, then `/charts`. Chart.yaml gives the chart name
 * and version (the `chart` label and the job ConfigMap); values.yaml the triton image default.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ArenaError } from './kube.js';

/** Chart folders as the real installer ships them (the triton folder holds the `tritoninferenceserver` chart). */
export type ChartName = 'pytorchjob' | 'triton';

/** The chart files the installer ships (Chart.yaml and values.yaml per chart; templates are not rendered). */
export const CHART_FILES: Record<ChartName, Record<string, string>> = {
  pytorchjob: {
    'Chart.yaml': [
      'apiVersion: v1',
      'appVersion: "1.0"',
      'description: A Helm chart for PyTorchJob',
      'name: pytorchjob',
      'version: 0.5.2',
      ''
    ].join('\n'),
    'values.yaml': [
      '# Default values for pytorchjob (the image comes from --image).',
      'useHostNetwork: false',
      'gpuCount: 0 # user define',
      'shareMemory: 2Gi',
      'cleanPodPolicy: "None"',
      'workers: 0',
      'imagePullPolicy: Always',
      ''
    ].join('\n')
  },
  triton: {
    'Chart.yaml': [
      'apiVersion: v1',
      'appVersion: "1.0"',
      'description: Triton Inference Server Helm Chart',
      'name: tritoninferenceserver',
      'version: 0.10.0',
      ''
    ].join('\n'),
    'values.yaml': [
      '# Default values for triton-inference-server.',
      'serviceType: ClusterIP',
      'image: nvcr.io/nvidia/tritonserver:20.12-py3',
      'imagePullPolicy: "IfNotPresent"',
      'httpPort: 8000',
      'grpcPort: 8001',
      'metricsPort: 8002',
      'allowMetrics: true',
      ''
    ].join('\n')
  }
};

export interface Chart {
  dir: string;
  name: string;
  version: string;
  values: Record<string, unknown>;
}

export function chartDirCandidates(): string[] {
  const c: string[] = [];
  if (process.env.ARENA_CHART_DIR) c.push(process.env.ARENA_CHART_DIR);
  c.push(path.join(os.homedir(), 'charts'), '/charts');
  return c;
}

export function loadChart(name: ChartName): Chart {
  const candidates = chartDirCandidates();
  const dir = candidates.map((d) => path.join(d, name)).find((d) => existsSync(path.join(d, 'Chart.yaml')));
  if (!dir) {
    const where = [
      process.env.ARENA_CHART_DIR ? `$ARENA_CHART_DIR (${process.env.ARENA_CHART_DIR})` : '$ARENA_CHART_DIR (not set)',
      ...candidates.slice(process.env.ARENA_CHART_DIR ? 1 : 0)
    ];
    throw new ArenaError(
      `failed to find the chart "${name}": looked in ${where.join(', ')}. Install Arena with install.sh (--only-binary installs the CLI and its charts) or set ARENA_CHART_DIR to the installer's charts/ directory`
    );
  }
  const chart = parseYaml(readFileSync(path.join(dir, 'Chart.yaml'), 'utf8')) as { name?: string; version?: string };
  const valuesFile = path.join(dir, 'values.yaml');
  const values = existsSync(valuesFile)
    ? ((parseYaml(readFileSync(valuesFile, 'utf8')) as Record<string, unknown>) ?? {})
    : {};
  return { dir, name: chart.name ?? name, version: String(chart.version ?? '0.1.0'), values };
}
