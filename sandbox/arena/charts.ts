/**
 * Arena's chart directory. Like the real CLI, the stand-in refuses to work without it: it looks in
 * `$ARENA_CHART_DIR`, then `~/charts`, then `/charts`. The charts' values.yaml supply defaults (image, ports,
 * shared memory); Chart.yaml gives the `chart` label.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ArenaError } from './kube.js';

export type ChartName = 'pytorchjob' | 'tritoninferenceserver';

/** The chart files the installer ships (Chart.yaml and values.yaml per chart). */
export const CHART_FILES: Record<ChartName, Record<string, string>> = {
  pytorchjob: {
    'Chart.yaml': [
      'apiVersion: v1',
      'appVersion: "1.0"',
      'description: A Helm chart for Kubeflow PyTorchJob (arena submit pytorchjob)',
      'name: pytorchjob',
      'version: 0.1.0',
      ''
    ].join('\n'),
    'values.yaml': [
      '# Default values for pytorchjob.',
      'image: registry.cn-zhangjiakou.aliyuncs.com/kube-ai/pytorch-with-tensorboard:1.5.1-cuda10.1-cudnn7-py3.7',
      'imagePullPolicy: Always',
      'workers: 1',
      'gpuCount: 0',
      'shmSize: 2Gi',
      'workingDir: /root',
      'cleanPodPolicy: Running',
      ''
    ].join('\n')
  },
  tritoninferenceserver: {
    'Chart.yaml': [
      'apiVersion: v1',
      'appVersion: "1.0"',
      'description: A Helm chart for NVIDIA Triton Inference Server (arena serve triton)',
      'name: tritoninferenceserver',
      'version: 0.1.0',
      ''
    ].join('\n'),
    'values.yaml': [
      '# Default values for tritoninferenceserver.',
      'image: nvcr.io/nvidia/tritonserver:20.12-py3',
      'imagePullPolicy: IfNotPresent',
      'replicas: 1',
      'httpPort: 8000',
      'grpcPort: 8001',
      'metricsPort: 8002',
      'allowMetrics: false',
      'shmSize: 2Gi',
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
