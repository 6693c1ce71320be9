/**
 * Arena's chart directory. Like the real CLI, the stand-in refuses to work without it: `$HOME/charts`, else
 * `/charts`. Chart.yaml gives the chart name
 * and version (the `chart` label and the job ConfigMap); values.yaml the triton image default.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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

/**
 * util.GetChartsFolder (pkg/util/charts.go at v0.15.2): `$HOME/charts` when os.Stat finds it (a link is followed,
 * so a dangling one does not count), else `/charts`. CHARTS_FOLDER and other variables are not read.
 */
export function chartsFolder(): string {
  const home = `${process.env.HOME ?? ''}/charts`;
  return existsSync(home) ? home : '/charts';
}

/** Chart name → version of each chart folder (what `arena version --verbose` lists). */
export function chartVersions(folder: string): Record<string, string> {
  const out: Record<string, string> = {};
  let entries: string[];
  try {
    entries = readdirSync(folder, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== 'kubernetes-artifacts')
      .map((e) => e.name);
  } catch {
    return out;
  }
  for (const name of entries) {
    try {
      const chart = parseYaml(readFileSync(path.join(folder, name, 'Chart.yaml'), 'utf8')) as { version?: string };
      out[name] = String(chart.version ?? '');
    } catch {
      out[name] = '';
    }
  }
  return out;
}

export function loadChart(name: ChartName, releaseName?: string): Chart {
  const dir = path.join(chartsFolder(), name);
  if (!existsSync(path.join(dir, 'Chart.yaml'))) {
    // helm's loader.Load fails on os.Stat of the chart path; GenerateHelmTemplate wraps it
    throw new ArenaError(
      `failed to generate helm manifests${releaseName ? ` ${releaseName}` : ''}: stat ${dir}: no such file or directory`
    );
  }
  const chart = parseYaml(readFileSync(path.join(dir, 'Chart.yaml'), 'utf8')) as { name?: string; version?: string };
  const valuesFile = path.join(dir, 'values.yaml');
  const values = existsSync(valuesFile)
    ? ((parseYaml(readFileSync(valuesFile, 'utf8')) as Record<string, unknown>) ?? {})
    : {};
  return { dir, name: chart.name ?? name, version: String(chart.version ?? '0.1.0'), values };
}
