/** `arena serve triton|list|get|delete`: Triton serving jobs as the tritoninferenceserver chart renders them. */
import { stringify as toYaml } from 'yaml';
import { loadChart } from './charts.js';
import {
  age,
  checkName,
  columns,
  COMMON_JOB_FLAGS,
  envList,
  invalid,
  parseData,
  parsePairs,
  resources,
  tolerations,
  volumes
} from './common.js';
import type { FlagSpec, FlagValues } from './flags.js';
import { APPS, ArenaError, CORE, type KubeClient } from './kube.js';
import { podStatus, type Io } from './training.js';
import { installApps } from './apply.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const SERVE_TRITON_FLAGS: FlagSpec[] = [
  ...COMMON_JOB_FLAGS,
  { name: 'version', type: 'string', default: '', usage: 'the serving version' },
  { name: 'replicas', type: 'int', default: 1, usage: 'the replicas number of the serve job.' },
  { name: 'gpumemory', type: 'int', default: 0, usage: 'the limit GPU memory of each replica to run the serve.' },
  {
    name: 'share-memory',
    type: 'string',
    default: '',
    usage: 'the request share memory of each replica to run the serve.'
  },
  { name: 'model-repository', type: 'string', default: '', usage: 'the path of triton model path' },
  { name: 'http-port', type: 'int', default: 8000, usage: 'the port of http serving server' },
  { name: 'grpc-port', type: 'int', default: 8001, usage: 'the port of grpc serving server' },
  { name: 'metrics-port', type: 'int', default: 8002, usage: 'the port of metrics server' },
  { name: 'metric-port', type: 'int', usage: 'the port of metrics server (older spelling of --metrics-port)' },
  { name: 'allow-metrics', type: 'bool', default: false, usage: 'open metrics' },
  { name: 'extend-command', type: 'string', default: '', usage: "the command will attach to server's command." },
  {
    name: 'load-model',
    type: 'stringArray',
    usage: 'giving names of model to load, usage:"--load-model <model-name>"'
  },
  { name: 'command', type: 'string', default: '', usage: 'specify the container command' },
  {
    name: 'backend',
    type: 'string',
    default: '',
    usage: 'the backend type of triton server. Valid values: [vllm|trt-llm]'
  }
];

/** `YYYYMMDDhhmm` in local time, as Arena's default --version. */
export function defaultVersion(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}`;
}

const SELECTOR = (name: string): string => encodeURIComponent(`servingName=${name},servingType=triton-serving`);
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/;

/** The script the chart passes to `sh -c` (charts/triton/templates/deployment.yaml). */
export function tritonScript(v: {
  httpPort: number;
  grpcPort: number;
  metricsPort: number;
  allowMetrics: boolean;
  modelRepository: string;
  loadModels: string[];
  extendCommand: string;
}): string {
  let s = `tritonserver --http-port=${v.httpPort} --grpc-port=${v.grpcPort}`;
  if (v.allowMetrics) s += ` --metrics-port=${v.metricsPort}`;
  s += ` --allow-metrics=${v.allowMetrics}`;
  if (v.modelRepository) s += ` --model-repository=${v.modelRepository}`;
  for (const m of v.loadModels) s += ` --load-model ${m}`;
  if (v.extendCommand) s += ` ${v.extendCommand}`;
  return s + '\n';
}

export async function serveTriton(kube: () => KubeClient, ns: () => string, f: FlagValues, io: Io): Promise<number> {
  const name = checkName(f.name as string);
  const version = (f.version as string) || defaultVersion();
  const gpus = f.gpus as number;
  if (gpus < 0) throw invalid('--gpus is invalid');
  if ((f.gpumemory as number) < 0) throw invalid('--gpumemory is invalid');
  if (f.cpu && !QUANTITY.test(f.cpu as string)) throw invalid('--cpu is invalid');
  if (f.memory && !QUANTITY.test(f.memory as string)) throw invalid('--memory is invalid');
  const shm = f['share-memory'] as string;
  if (shm && !QUANTITY.test(shm)) throw invalid('--share-memory is invalid');
  const ports = {
    http: f['http-port'] as number,
    grpc: f['grpc-port'] as number,
    metrics: ((f['metric-port'] as number | undefined) ?? f['metrics-port']) as number
  };
  if (ports.http === 0 && ports.grpc === 0) throw invalid('all ports are 0, invalid configuration');
  const backend = f.backend as string;
  if (backend) {
    if (backend !== 'vllm' && backend !== 'trt-llm')
      throw invalid(`backend ${backend} is Invalid. Triton backend only supports vllm or trt-llm`);
    if (gpus === 0) throw invalid('--gpus must be specific at least 1 GPU');
  }
  const data = parseData(f.data as string[]);
  const labels = parsePairs('label', f.label as string[]);
  const annotations = parsePairs('annotation', f.annotation as string[]);
  const selector = parsePairs('selector', f.selector as string[]);
  const env = envList(f);
  const namespace = ns();
  const client = kube();
  const release = `${name}-${version}`;
  const fullname = `${release}-tritoninferenceserver`;
  const cmName = `${release}-triton-serving`;

  const existing = (await servingDeployments(client, namespace, name)).filter(
    (d) => d.metadata.labels.servingVersion === version
  );
  if (existing.length > 0)
    throw new ArenaError(`the job ${name} is already exist, please delete it first. use 'arena serve delete ${name}'`);
  const chart = loadChart('triton');
  if (await client.get(`${CORE(namespace, 'configmaps')}/${cmName}`)) {
    throw new ArenaError(`the job configmap ${cmName} is already exist, please delete it first`);
  }
  const image = (f.image as string) || String(chart.values.image);
  const allowMetrics = f['allow-metrics'] as boolean;
  const script = tritonScript({
    httpPort: ports.http,
    grpcPort: ports.grpc,
    metricsPort: ports.metrics,
    allowMetrics,
    modelRepository: f['model-repository'] as string,
    loadModels: f['load-model'] as string[],
    extendCommand: f['extend-command'] as string
  });
  const chartLabel = `${chart.name}-${chart.version}`;
  const app = chart.name;
  const objectLabels = {
    heritage: 'Helm',
    release,
    chart: chartLabel,
    app,
    servingName: name,
    servingVersion: version,
    servingType: 'triton-serving',
    ...labels
  };
  const { volumes: vols, mounts } = volumes(data);
  const fieldEnv = (n: string, path: string): object => ({ name: n, valueFrom: { fieldRef: { fieldPath: path } } });
  const probe = (path: string): object => ({
    failureThreshold: 30,
    initialDelaySeconds: 100,
    periodSeconds: 5,
    httpGet: { path, port: 'http' }
  });
  const deployment: Obj = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: fullname,
      namespace,
      labels: objectLabels,
      annotations: { 'helm.sh/created': String(Math.floor(Date.now() / 1000)), ...annotations }
    },
    spec: {
      replicas: f.replicas,
      strategy: { type: 'RollingUpdate' },
      selector: { matchLabels: { release, app } },
      template: {
        metadata: {
          ...(Object.keys(annotations).length ? { annotations: { ...annotations } } : {}),
          labels: {
            heritage: 'Helm',
            release,
            chart: chartLabel,
            app,
            serviceName: name,
            servingName: name,
            servingVersion: version,
            servingType: 'triton-serving',
            ...labels
          }
        },
        spec: {
          ...(Object.keys(selector).length ? { nodeSelector: selector } : {}),
          ...((f.toleration as string[]).length ? { tolerations: tolerations(f.toleration as string[]) } : {}),
          containers: [
            {
              name: 'tritonserver',
              image,
              imagePullPolicy: (f['image-pull-policy'] as string) || 'IfNotPresent',
              env: [
                ...env,
                fieldEnv('ARENA_NODE_NAME', 'spec.nodeName'),
                fieldEnv('ARENA_POD_NAMESPACE', 'metadata.namespace'),
                fieldEnv('ARENA_POD_NAME', 'metadata.name'),
                fieldEnv('ARENA_POD_IP', 'status.podIP')
              ],
              ...(f.command
                ? { command: [f.shell as string, '-c', f.command as string] }
                : { command: [f.shell as string, '-c'], args: [script] }),
              ports: [
                { containerPort: ports.http, name: 'http', protocol: 'TCP' },
                { containerPort: ports.grpc, name: 'grpc' },
                ...(allowMetrics ? [{ containerPort: ports.metrics, name: 'metrics' }] : [])
              ],
              livenessProbe: probe('/v2/health/live'),
              readinessProbe: probe('/v2/health/ready'),
              resources: { limits: resources(f, gpus).limits ?? {} },
              volumeMounts: [...(shm ? [{ mountPath: '/dev/shm', name: 'dshm' }] : []), ...mounts]
            }
          ],
          volumes: [...(shm ? [{ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: shm } }] : []), ...vols]
        }
      }
    }
  };
  const service: Obj = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: fullname, namespace, labels: objectLabels },
    spec: {
      type: 'ClusterIP',
      ports: [
        { name: 'http-serving', port: ports.http, targetPort: ports.http },
        { name: 'grpc-serving', port: ports.grpc, targetPort: ports.grpc },
        ...(allowMetrics ? [{ name: 'http-metrics', port: ports.metrics, targetPort: ports.metrics }] : [])
      ],
      selector: { release, app }
    }
  };
  const values = {
    name,
    namespace,
    servingName: name,
    servingVersion: version,
    image,
    replicas: f.replicas,
    gpuCount: gpus,
    gpuMemory: f.gpumemory,
    modelDirs: Object.fromEntries(data.map((d) => [d.pvc, d.mountPath])),
    modelRepository: f['model-repository'],
    httpPort: ports.http,
    grpcPort: ports.grpc,
    metricsPort: ports.metrics,
    allowMetrics,
    loadModels: f['load-model'],
    extendCommand: f['extend-command'],
    command: f.command,
    shell: f.shell,
    shareMemory: shm,
    labels,
    annotations,
    envs: Object.fromEntries(env.map((e) => [e.name, e.value]))
  };
  // workflow.SubmitJob: the values and the list of created objects, kept in `<name>-<version>-triton-serving`
  await client.create(CORE(namespace, 'configmaps'), {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: cmName, namespace, labels: { createdBy: 'arena' } },
    data: {
      [chart.name]: chart.version,
      values: toYaml(values),
      app: `service/${fullname}\ndeployment.apps/${fullname}\n`
    }
  });
  await installApps(client, io, {
    namespace,
    jobName: release,
    configMap: cmName,
    objects: [
      { collection: CORE(namespace, 'services'), name: fullname, label: `service/${fullname}`, obj: service },
      {
        collection: APPS(namespace, 'deployments'),
        name: fullname,
        label: `deployment.apps/${fullname}`,
        obj: deployment
      }
    ]
  });
  io.log('info', `The Job ${name} has been submitted successfully`);
  io.log(
    'info',
    `You can run \`arena serve get ${name} --type triton-serving -n ${namespace}\` to check the job status`
  );
  return 0;
}

async function servingDeployments(client: KubeClient, ns: string, name?: string): Promise<Obj[]> {
  const sel = name ? SELECTOR(name) : encodeURIComponent('servingType=triton-serving');
  const list = await client.get<Obj>(`${APPS(ns, 'deployments')}?labelSelector=${sel}`);
  return ((list?.items as Obj[]) ?? []).sort((a, b) =>
    `${a.metadata.labels.servingName}/${a.metadata.labels.servingVersion}`.localeCompare(
      `${b.metadata.labels.servingName}/${b.metadata.labels.servingVersion}`
    )
  );
}

/** Thrown when several serving jobs match: Arena prints this table on stdout (PrintErrorMessage). */
export class AmbiguousServing extends ArenaError {}

/** The one deployment for name (and version); Arena's errors when none or several match. */
async function pickServing(client: KubeClient, ns: string, name: string, version: string | undefined): Promise<Obj> {
  const all = await servingDeployments(client, ns, name);
  const matching = version ? all.filter((d) => d.metadata.labels.servingVersion === version) : all;
  if (matching.length === 0)
    throw new ArenaError(`Not found serving job ${name}, please check it with \`arena serve list | grep ${name}\``);
  if (matching.length > 1) {
    const rows = [
      ['NAME', 'TYPE', 'VERSION'],
      ...matching.map((d) => [name, 'triton-serving', String(d.metadata.labels.servingVersion)])
    ];
    throw new AmbiguousServing(
      `There is ${matching.length} jobs have been found:\n\n${columns(rows)}\nplease use '--type' or '--version' to filter.\n`
    );
  }
  return matching[0];
}

function portsOf(d: Obj): string {
  const ports: Obj[] = d.spec?.template?.spec?.containers?.[0]?.ports ?? [];
  return ports.map((p) => `${String(p.name).toUpperCase()}:${p.containerPort}`).join(',');
}

function gpusOf(d: Obj): number {
  return (
    Number(d.spec?.template?.spec?.containers?.[0]?.resources?.limits?.['nvidia.com/gpu'] ?? 0) *
    Number(d.spec?.replicas ?? 1)
  );
}

async function serviceIp(client: KubeClient, ns: string, d: Obj): Promise<string> {
  const svc = await client.get<Obj>(`${CORE(ns, 'services')}/${d.metadata.name}`);
  return svc?.spec?.clusterIP ?? 'N/A';
}

/**
 * The serving's endpoints as Arena reads them from its Services' `http-serving` and `grpc-serving` ports
 * (named RESTFUL and GRPC; `NAME:nodePort->port` for a NodePort): kubeflow/arena v0.15.2
 * pkg/serving/serving.go:201-219, printed by pkg/serving/list.go:122-135 (N/A when there is none).
 */
function endpointsOf(services: Obj[]): string {
  const out: string[] = [];
  for (const svc of services)
    for (const p of svc.spec?.ports ?? []) {
      if (p.name !== 'http-serving' && p.name !== 'grpc-serving') continue;
      const name = p.name === 'grpc-serving' ? 'GRPC' : 'RESTFUL';
      out.push(p.nodePort ? `${name}:${p.nodePort}->${p.port}` : `${name}:${p.port}`);
    }
  return out.length ? out.join(',') : 'N/A';
}

/** GPUs of a serving's pods that run on a node (getPodGPUs, pkg/serving/serving.go:568-589). */
function podGpus(pods: Obj[]): number {
  return pods
    .filter((p) => p.status?.phase === 'Running' && p.spec?.nodeName)
    .reduce(
      (n, p) =>
        n +
        (p.spec?.containers ?? []).reduce(
          (m: number, c: Obj) => m + Number(c.resources?.limits?.['nvidia.com/gpu'] ?? 0),
          0
        ),
      0
    );
}

/** `arena serve list`: kubeflow/arena v0.15.2 pkg/serving/list.go:94-157 (GPU column only when a pod holds GPUs). */
export async function serveList(client: KubeClient, ns: string, io: Io): Promise<number> {
  const sel = (l: Obj) =>
    `${CORE(ns, 'pods')}?labelSelector=${encodeURIComponent(`servingName=${l.servingName},servingVersion=${l.servingVersion},servingType=triton-serving`)}`;
  const rows: string[][] = [];
  let anyGpus = false;
  for (const d of await servingDeployments(client, ns)) {
    const l = d.metadata.labels;
    const pods = ((await client.get<Obj>(sel(l)))?.items as Obj[]) ?? [];
    const svcs = (
      ((
        await client.get<Obj>(
          `${CORE(ns, 'services')}?labelSelector=${encodeURIComponent('servingType=triton-serving')}`
        )
      )?.items as Obj[]) ?? []
    ).filter(
      (s) => s.metadata.labels?.servingName === l.servingName && s.metadata.labels?.servingVersion === l.servingVersion
    );
    const address = svcs.find((s) => endpointsOf([s]) !== 'N/A')?.spec?.clusterIP ?? 'N/A';
    const gpus = podGpus(pods);
    if (gpus !== 0) anyGpus = true;
    rows.push([
      l.servingName,
      'Triton',
      l.servingVersion,
      String(d.status?.replicas ?? 0),
      String(d.status?.availableReplicas ?? 0),
      address,
      endpointsOf(svcs),
      String(gpus)
    ]);
  }
  const header = ['NAME', 'TYPE', 'VERSION', 'DESIRED', 'AVAILABLE', 'ADDRESS', 'PORTS', ...(anyGpus ? ['GPU'] : [])];
  io.out(columns([header, ...rows.map((r) => (anyGpus ? r : r.slice(0, -1)))]));
  return 0;
}

export async function serveGet(
  client: KubeClient,
  ns: string,
  name: string,
  version: string | undefined,
  output: string,
  io: Io
): Promise<number> {
  if (!['', 'json', 'yaml', 'wide'].includes(output))
    throw new ArenaError(`unknown output format "${output}", only support json, yaml and wide`);
  const d = await pickServing(client, ns, name, version);
  const l = d.metadata.labels;
  const podList = await client.get<Obj>(
    `${CORE(ns, 'pods')}?labelSelector=${encodeURIComponent(`release=${l.release},app=tritoninferenceserver`)}`
  );
  const pods = ((podList?.items as Obj[]) ?? []).sort((a, b) =>
    String(a.metadata.name).localeCompare(String(b.metadata.name))
  );
  const ip = await serviceIp(client, ns, d);
  const ports: Obj[] = d.spec?.template?.spec?.containers?.[0]?.ports ?? [];
  const instances = pods.map((p) => {
    const cs: Obj[] = p.status?.containerStatuses ?? [];
    return {
      name: p.metadata.name,
      status: podStatus(p),
      age: age(p.metadata.creationTimestamp),
      readyContainers: cs.filter((c) => c.ready).length,
      totalContainers: (p.spec?.containers ?? []).length,
      restartCount: cs.reduce((a, c) => a + Number(c.restartCount ?? 0), 0),
      nodeIP: p.status?.hostIP ?? 'N/A',
      nodeName: p.spec?.nodeName ?? 'N/A',
      ip: p.status?.podIP ?? 'N/A',
      requestGPUs: Number(p.spec?.containers?.[0]?.resources?.limits?.['nvidia.com/gpu'] ?? 0)
    };
  });
  const info = {
    name,
    namespace: ns,
    type: 'Triton',
    version: l.servingVersion,
    age: age(d.metadata.creationTimestamp),
    desiredInstances: Number(d.spec?.replicas ?? 0),
    availableInstances: Number(d.status?.availableReplicas ?? 0),
    endpoints: ports.map((p) => ({ name: String(p.name).toUpperCase(), port: p.containerPort, nodePort: 0 })),
    ip,
    requestGPUs: gpusOf(d),
    instances
  };
  if (output === 'json') {
    io.out(JSON.stringify(info, null, 4) + '\n');
    return 0;
  }
  if (output === 'yaml') {
    io.out(toYaml(info));
    return 0;
  }
  io.out(
    [
      `Name:       ${name}`,
      `Namespace:  ${ns}`,
      `Type:       Triton`,
      `Version:    ${info.version}`,
      `Desired:    ${info.desiredInstances}`,
      `Available:  ${info.availableInstances}`,
      `Age:        ${info.age}`,
      `Address:    ${ip}`,
      `Port:       ${portsOf(d)}`,
      `GPU:        ${info.requestGPUs}`,
      '',
      'Instances:'
    ].join('\n') + '\n'
  );
  const header = ['NAME', 'STATUS', 'AGE', 'READY', 'RESTARTS', 'GPU', 'NODE'];
  const rows = instances.map((i) => [
    i.name,
    i.status,
    i.age,
    `${i.readyContainers}/${i.totalContainers}`,
    String(i.restartCount),
    String(i.requestGPUs),
    i.nodeName
  ]);
  io.out(
    columns([header, header.map((h) => '-'.repeat(h.length)), ...rows])
      .split('\n')
      .map((x) => (x ? `  ${x}` : x))
      .join('\n')
  );
  return 0;
}

export async function serveDelete(
  client: KubeClient,
  ns: string,
  names: string[],
  version: string | undefined,
  io: Io
): Promise<number> {
  for (const name of names) {
    let d: Obj;
    try {
      d = await pickServing(client, ns, name, version);
    } catch (e) {
      if (e instanceof ArenaError && e.message.startsWith('Not found serving job')) {
        io.log('info', `The serving job '${name}' does not exist,skip to delete it.`);
        continue;
      }
      throw e;
    }
    const l = d.metadata.labels;
    const fullname = d.metadata.name;
    await client.remove(`${APPS(ns, 'deployments')}/${fullname}`, {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      propagationPolicy: 'Background'
    });
    await client.remove(`${CORE(ns, 'services')}/${fullname}`);
    await client.remove(`${CORE(ns, 'configmaps')}/${l.release}-triton-serving`);
    io.log('info', `The serving job ${name} with version ${l.servingVersion} has been deleted successfully`);
  }
  return 0;
}
