/** `arena serve triton|list|get|delete`: Triton serving jobs as the tritoninferenceserver chart renders them. */
import { stringify as toYaml } from 'yaml';
import { loadChart } from './charts.js';
import {
  age,
  checkName,
  columns,
  COMMON_JOB_FLAGS,
  envList,
  parseData,
  parsePairs,
  resources,
  tolerations,
  volumes
} from './common.js';
import type { FlagSpec, FlagValues } from './flags.js';
import { APPS, ArenaError, CORE, type KubeClient } from './kube.js';
import { podStatus, type Io } from './training.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const SERVE_TRITON_FLAGS: FlagSpec[] = [
  ...COMMON_JOB_FLAGS,
  {
    name: 'version',
    type: 'string',
    default: '',
    usage: 'the version of the serving job (default: the current time, YYYYMMDDhhmm)'
  },
  { name: 'replicas', type: 'int', default: 1, usage: 'the replicas number of the serve job.' },
  { name: 'gpumemory', type: 'int', default: 0, usage: 'the limit GPU memory of each replica to run the serve.' },
  { name: 'model-repository', type: 'string', default: '', usage: 'the path of triton model path' },
  { name: 'http-port', type: 'int', default: 8000, usage: 'the port of http serving server' },
  { name: 'grpc-port', type: 'int', default: 8001, usage: 'the port of grpc serving server' },
  { name: 'metric-port', type: 'int', default: 8002, usage: 'the port of metrics server' },
  { name: 'allow-metrics', type: 'bool', default: false, usage: 'open metrics' },
  { name: 'command', type: 'string', default: '', usage: "the command will inject to container's command." },
  {
    name: 'backend',
    type: 'string',
    default: '',
    usage: 'the backend of triton (only the default is supported by the stand-in)'
  }
];

/** `YYYYMMDDhhmm` in local time, as Arena's default --version. */
export function defaultVersion(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}`;
}

const SELECTOR = (name: string): string => encodeURIComponent(`servingName=${name},servingType=triton-serving`);

export async function serveTriton(kube: () => KubeClient, ns: () => string, f: FlagValues, io: Io): Promise<number> {
  const name = checkName('serving', f.name as string);
  const version = (f.version as string) || defaultVersion();
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(version))
    throw new ArenaError(`invalid --version "${version}": it must be lower case alphanumeric characters or '-'`);
  const repo = f['model-repository'] as string;
  if (!f.command && !repo) throw new ArenaError('--model-repository must be set');
  const gpus = f.gpus as number;
  if (gpus < 0) throw new ArenaError('--gpus must be greater than or equal to 0');
  if ((f.replicas as number) < 0) throw new ArenaError('--replicas must be greater than or equal to 0');
  if (f.backend && f.backend !== 'triton')
    throw new ArenaError(`--backend "${f.backend}" is not supported by this arena`);
  const data = parseData(f.data as string[]);
  const labels = parsePairs('label', f.label as string[]);
  const annotations = parsePairs('annotation', f.annotation as string[]);
  const selector = parsePairs('selector', f.selector as string[]);
  const env = envList(f);
  const chart = loadChart('tritoninferenceserver');
  const image = (f.image as string) || String(chart.values.image);
  const namespace = ns();
  const client = kube();
  const release = `${name}-${version}`;
  const fullname = `${release}-tritoninferenceserver`;

  if (await client.get(`${APPS(namespace, 'deployments')}/${fullname}`)) {
    throw new ArenaError(
      `the serving job ${name} with version ${version} already exists, please delete it first. use 'arena serve delete ${name} --version ${version}'`
    );
  }
  const ports = { http: f['http-port'] as number, grpc: f['grpc-port'] as number, metrics: f['metric-port'] as number };
  const allowMetrics = f['allow-metrics'] as boolean;
  const tritonArgs = [
    'tritonserver',
    `--model-repository=${repo}`,
    `--http-port=${ports.http}`,
    `--grpc-port=${ports.grpc}`,
    `--allow-metrics=${allowMetrics}`,
    ...(allowMetrics ? [`--metrics-port=${ports.metrics}`] : [])
  ];
  const servingLabels = {
    servingName: name,
    servingVersion: version,
    servingType: 'triton-serving',
    app: 'tritoninferenceserver',
    release,
    chart: `${chart.name}-${chart.version}`,
    heritage: 'Helm'
  };
  const { volumes: vols, mounts } = volumes(data);
  const containerPorts = [
    { name: 'http', containerPort: ports.http, protocol: 'TCP' },
    { name: 'grpc', containerPort: ports.grpc, protocol: 'TCP' },
    ...(allowMetrics ? [{ name: 'metrics', containerPort: ports.metrics, protocol: 'TCP' }] : [])
  ];
  const deployment: Obj = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: fullname,
      namespace,
      labels: { ...servingLabels, ...labels },
      ...(Object.keys(annotations).length ? { annotations } : {})
    },
    spec: {
      replicas: f.replicas,
      selector: { matchLabels: { release, app: 'tritoninferenceserver' } },
      template: {
        metadata: {
          labels: {
            servingName: name,
            servingVersion: version,
            servingType: 'triton-serving',
            app: 'tritoninferenceserver',
            release,
            ...labels
          },
          ...(Object.keys(annotations).length ? { annotations: { ...annotations } } : {})
        },
        spec: {
          ...(Object.keys(selector).length ? { nodeSelector: selector } : {}),
          ...((f.toleration as string[]).length ? { tolerations: tolerations(f.toleration as string[]) } : {}),
          containers: [
            {
              name: 'tritonserver',
              image,
              imagePullPolicy:
                (f['image-pull-policy'] as string) || String(chart.values.imagePullPolicy ?? 'IfNotPresent'),
              ...(f.command ? { command: ['sh', '-c', f.command as string] } : { args: tritonArgs }),
              ...(env.length ? { env } : {}),
              ports: containerPorts,
              readinessProbe: {
                httpGet: { path: '/v2/health/ready', port: 'http' },
                initialDelaySeconds: 15,
                periodSeconds: 10,
                failureThreshold: 3,
                timeoutSeconds: 1
              },
              livenessProbe: {
                httpGet: { path: '/v2/health/live', port: 'http' },
                initialDelaySeconds: 15,
                periodSeconds: 10,
                failureThreshold: 3,
                timeoutSeconds: 1
              },
              resources: resources(f, gpus),
              volumeMounts: [...mounts, { name: 'dshm', mountPath: '/dev/shm' }]
            }
          ],
          volumes: [
            ...vols,
            { name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: String(chart.values.shmSize ?? '2Gi') } }
          ]
        }
      }
    }
  };
  const service: Obj = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: fullname, namespace, labels: { ...servingLabels, ...labels } },
    spec: {
      type: 'ClusterIP',
      selector: { release, app: 'tritoninferenceserver' },
      ports: containerPorts.map((p) => ({
        name: `${p.name}-serving`,
        port: p.containerPort,
        targetPort: p.containerPort,
        protocol: 'TCP'
      }))
    }
  };
  const values = {
    servingName: name,
    servingVersion: version,
    image,
    replicas: f.replicas,
    gpuCount: gpus,
    modelRepository: repo,
    httpPort: ports.http,
    grpcPort: ports.grpc,
    metricsPort: ports.metrics,
    allowMetrics,
    command: f.command || tritonArgs.join(' ')
  };
  await client.create(CORE(namespace, 'configmaps'), {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `${release}-triton-serving`,
      namespace,
      labels: { createdBy: 'arena', servingName: name, servingVersion: version, servingType: 'triton-serving', release }
    },
    data: {
      values: toYaml(values),
      app: [toYaml(service), toYaml(deployment)].join('---\n'),
      chart: `${chart.name}-${chart.version}`
    }
  });
  await client.create(CORE(namespace, 'services'), service);
  await client.create(APPS(namespace, 'deployments'), deployment);
  io.out(
    `configmap/${release}-triton-serving created\nservice/${fullname} created\ndeployment.apps/${fullname} created\n`
  );
  io.info(`The Job ${name} has been submitted successfully`);
  io.info(`You can run \`arena serve get ${name} --type triton-serving -n ${namespace}\` to check the job status`);
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

/** The one deployment for name (and version); Arena's errors when none or several match. */
async function pickServing(client: KubeClient, ns: string, name: string, version: string | undefined): Promise<Obj> {
  const all = await servingDeployments(client, ns, name);
  const matching = version ? all.filter((d) => d.metadata.labels.servingVersion === version) : all;
  if (matching.length === 0) {
    throw new ArenaError(
      `Not found serving job ${name}${version ? ` with version ${version}` : ''}, please check it with \`arena serve list | grep ${name}\``
    );
  }
  if (matching.length > 1) {
    const versions = matching.map((d) => d.metadata.labels.servingVersion).join(', ');
    throw new ArenaError(
      `There is ${matching.length} versions of the serving job ${name} (${versions}), please set --version to pick one`
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

export async function serveList(client: KubeClient, ns: string, io: Io): Promise<number> {
  const rows = [['NAME', 'TYPE', 'VERSION', 'DESIRED', 'AVAILABLE', 'ADDRESS', 'PORTS', 'GPU']];
  for (const d of await servingDeployments(client, ns)) {
    const l = d.metadata.labels;
    rows.push([
      l.servingName,
      'Triton',
      l.servingVersion,
      String(d.spec?.replicas ?? 0),
      String(d.status?.availableReplicas ?? 0),
      await serviceIp(client, ns, d),
      portsOf(d),
      String(gpusOf(d))
    ]);
  }
  io.out(columns(rows));
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
  if (names.length === 0) throw new ArenaError('not set serving job name, please set it: arena serve delete <name>');
  for (const name of names) {
    const d = await pickServing(client, ns, name, version);
    const l = d.metadata.labels;
    const fullname = d.metadata.name;
    await client.remove(`${APPS(ns, 'deployments')}/${fullname}`, {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      propagationPolicy: 'Background'
    });
    await client.remove(`${CORE(ns, 'services')}/${fullname}`);
    await client.remove(`${CORE(ns, 'configmaps')}/${l.release}-triton-serving`);
    io.out(
      `service "${fullname}" deleted\ndeployment.apps "${fullname}" deleted\nconfigmap "${l.release}-triton-serving" deleted\n`
    );
    io.info(`The serving job ${name} with version ${l.servingVersion} has been deleted successfully`);
  }
  return 0;
}
