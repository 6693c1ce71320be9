/** `arena submit pytorchjob`, `get`, `list`, `logs`, `delete` — the training-job verbs, for PyTorchJobs. */
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
import { parseGoDuration, type FlagSpec, type FlagValues } from './flags.js';
import { ArenaError, CORE, PYTORCHJOBS, type KubeClient } from './kube.js';
import type { Level } from './log.js';
import { installApps } from './apply.js';

export interface Io {
  /** stdout (kubectl's output, tables, JSON). */
  out(s: string): void;
  /** stderr, raw. */
  err(s: string): void;
  /** logrus on stderr. */
  log(level: Level, msg: string): void;
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const SUBMIT_PYTORCHJOB_FLAGS: FlagSpec[] = [
  ...COMMON_JOB_FLAGS,
  {
    name: 'workers',
    type: 'int',
    default: 1,
    usage: 'the worker number to run the distributed training (includes the master)'
  },
  { name: 'working-dir', type: 'string', default: '/root', usage: 'working directory to extract the code' },
  {
    name: 'running-timeout',
    type: 'duration',
    default: '0s',
    usage:
      "Specifies the duration since startTime during which the job can remain active before it is terminated(e.g. '5s', '1m', '2h22m')."
  },
  {
    name: 'ttl-after-finished',
    type: 'duration',
    default: '0s',
    usage: "Defines the TTL for cleaning up finished PytorchJobs(e.g. '5s', '1m', '2h22m'). Defaults to infinite."
  },
  {
    name: 'clean-task-policy',
    type: 'string',
    default: 'Running',
    usage: 'How to clean tasks after Training is done, support None, Running, All.'
  },
  {
    name: 'share-memory',
    type: 'string',
    default: '2Gi',
    usage: 'the shared memory of each replica to run the job, default 2Gi.'
  },
  { name: 'retry', type: 'int', default: 0, usage: 'retry times' },
  { name: 'sync-mode', type: 'string', default: '', usage: 'syncMode: support rsync, hdfs, git' }
];

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/;

export async function submitPytorchJob(
  kube: () => KubeClient,
  ns: () => string,
  f: FlagValues,
  args: string[],
  io: Io
): Promise<number> {
  const name = checkName(f.name as string);
  const command = args.join(' ');
  const image = f.image as string;
  if (!image) throw invalid('--image must be set ');
  const policy = f['clean-task-policy'] as string;
  if (!['None', 'Running', 'All'].includes(policy)) throw invalid(`unsupported cleanTaskPolicy ${policy}`);
  const gpus = f.gpus as number;
  if (gpus < 0) throw invalid('--gpus is invalid');
  if (f.cpu && !QUANTITY.test(f.cpu as string)) throw invalid('--cpu is invalid');
  if (f.memory && !QUANTITY.test(f.memory as string)) throw invalid('--memory is invalid');
  const timeout = parseGoDuration(f['running-timeout'] as string);
  if (timeout < 0) throw invalid('--running-timeout is invalid');
  const ttl = parseGoDuration(f['ttl-after-finished'] as string);
  if (ttl < 0) throw invalid('--ttl-after-finished is invalid');
  const shm = f['share-memory'] as string;
  if (shm && !QUANTITY.test(shm)) throw invalid('--share-memory is invalid');
  const workers = f.workers as number;
  if (workers < 1) throw invalid('--workers must be greater than 0');
  const data = parseData(f.data as string[]);
  const labels = parsePairs('label', f.label as string[]);
  const annotations = parsePairs('annotation', f.annotation as string[]);
  const selector = parsePairs('selector', f.selector as string[]);
  const env = envList(f);
  const namespace = ns();
  const client = kube();

  if (await client.get(`${PYTORCHJOBS(namespace)}/${name}`)) {
    throw new ArenaError(`the job ${name} is already exist, please delete it first. use 'arena delete ${name}'`);
  }
  const chart = loadChart('pytorchjob');
  const cmName = `${name}-pytorchjob`;
  if (await client.get(`${CORE(namespace, 'configmaps')}/${cmName}`)) {
    throw new ArenaError(`the job configmap ${cmName} is already exist, please delete it first`);
  }
  const { volumes: vols, mounts } = volumes(data);
  const chartLabel = `${chart.name}-${chart.version}`;
  const template = (): Obj => ({
    metadata: {
      name,
      labels: {
        app: 'pytorchjob',
        chart: chartLabel,
        release: name,
        heritage: 'Helm',
        createdBy: 'PyTorchJob',
        'master-pod-name': `${name}-master-0`,
        ...labels
      },
      ...(Object.keys(annotations).length ? { annotations: { ...annotations } } : {})
    },
    spec: {
      ...(Object.keys(selector).length ? { nodeSelector: { ...selector } } : {}),
      ...((f.toleration as string[]).length ? { tolerations: tolerations(f.toleration as string[]) } : {}),
      volumes: [...vols, ...(shm ? [{ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: shm } }] : [])],
      containers: [
        {
          image,
          name: 'pytorch',
          imagePullPolicy: (f['image-pull-policy'] as string) || 'Always',
          workingDir: f['working-dir'],
          command: [f.shell as string, '-c', command],
          resources: resources(f, gpus),
          ...(env.length ? { env } : {}),
          volumeMounts: [...mounts, ...(shm ? [{ name: 'dshm', mountPath: '/dev/shm' }] : [])]
        }
      ]
    }
  });
  const job: Obj = {
    apiVersion: 'kubeflow.org/v1',
    kind: 'PyTorchJob',
    metadata: {
      name,
      namespace,
      labels: {
        app: 'pytorchjob',
        chart: chartLabel,
        release: name,
        heritage: 'Helm',
        createdBy: 'PyTorchJob',
        ...labels
      },
      ...(Object.keys(annotations).length ? { annotations } : {})
    },
    spec: {
      runPolicy: {
        cleanPodPolicy: policy,
        ...(timeout > 0 ? { activeDeadlineSeconds: Math.floor(timeout) } : {}),
        ...(ttl > 0 ? { ttlSecondsAfterFinished: Math.floor(ttl) } : {}),
        backoffLimit: f.retry as number
      },
      pytorchReplicaSpecs: {
        Master: { replicas: 1, restartPolicy: 'Never', template: template() },
        ...(workers > 1 ? { Worker: { replicas: workers - 1, restartPolicy: 'OnFailure', template: template() } } : {})
      }
    }
  };
  const values = {
    name,
    namespace,
    image,
    workers: workers - 1,
    gpuCount: gpus,
    command,
    shell: f.shell,
    workingDir: f['working-dir'],
    dataset: Object.fromEntries(data.map((d) => [d.pvc, d.mountPath])),
    envs: Object.fromEntries(env.map((e) => [e.name, e.value])),
    labels,
    annotations,
    shareMemory: shm,
    cleanPodPolicy: policy,
    activeDeadlineSeconds: Math.floor(timeout),
    ttlSecondsAfterFinished: Math.floor(ttl),
    retry: f.retry,
    trainingOperatorCRD: true
  };
  // Arena keeps the values and the list of created objects in `<name>-<type>` (workflow.SubmitJob).
  await client.create(CORE(namespace, 'configmaps'), {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: cmName, namespace, labels: { createdBy: 'arena' } },
    data: { [chart.name]: chart.version, values: toYaml(values), app: `pytorchjob.kubeflow.org/${name}\n` }
  });
  const [created] = await installApps(client, io, {
    namespace,
    jobName: name,
    configMap: cmName,
    objects: [{ collection: PYTORCHJOBS(namespace), name, label: `pytorchjob.kubeflow.org/${name}`, obj: job }]
  });
  const uid = (created.metadata as Obj | undefined)?.uid;
  if (uid) {
    // workflow.SubmitJob step 6: the ConfigMap is owned by the job, so deleting the job collects it
    await client.call(
      'PATCH',
      `${CORE(namespace, 'configmaps')}/${cmName}`,
      {
        metadata: {
          ownerReferences: [
            { apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob', name, uid, controller: true, blockOwnerDeletion: true }
          ]
        }
      },
      'application/merge-patch+json'
    );
  }
  io.log('info', `The Job ${name} has been submitted successfully`);
  io.log('info', `You can run \`arena get ${name} --type pytorchjob -n ${namespace}\` to check the job status`);
  return 0;
}

export function jobStatus(job: Obj): 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' {
  const conds: Obj[] = (job.status?.conditions ?? []).filter((c: Obj) => c.status === 'True');
  const last = conds[conds.length - 1]?.type;
  if (conds.some((c) => c.type === 'Succeeded') || last === 'Succeeded') return 'SUCCEEDED';
  if (conds.some((c) => c.type === 'Failed')) return 'FAILED';
  if (last === 'Running' || last === 'Restarting') return 'RUNNING';
  return 'PENDING';
}

/** kubectl's STATUS column for a pod. */
export function podStatus(pod: Obj): string {
  if (pod.metadata?.deletionTimestamp) return 'Terminating';
  for (const cs of pod.status?.containerStatuses ?? []) {
    if (cs.state?.waiting?.reason) return cs.state.waiting.reason;
    if (cs.state?.terminated)
      return cs.state.terminated.reason ?? (cs.state.terminated.exitCode === 0 ? 'Completed' : 'Error');
  }
  return pod.status?.reason ?? pod.status?.phase ?? 'Unknown';
}

/** util.GetFormatTime: local `2006-01-02 15:04:05`, or N/A. */
function goTime(iso: string | undefined): string {
  if (!iso) return 'N/A';
  const d = new Date(iso);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function duration(job: Obj): string {
  const start = job.status?.startTime ?? job.metadata?.creationTimestamp;
  const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : Date.now();
  return age(start, end);
}

function requestedGpus(job: Obj): number {
  let n = 0;
  for (const spec of Object.values<Obj>(job.spec?.pytorchReplicaSpecs ?? {})) {
    const g = Number(spec.template?.spec?.containers?.[0]?.resources?.limits?.['nvidia.com/gpu'] ?? 0);
    n += g * Number(spec.replicas ?? 1);
  }
  return n;
}

/**
 * The job's pods as Arena finds them: by its chart's labels `release` and `app`, then kept when either
 * operator's mark is on them — `group-name: kubeflow.org` (the older pytorch-operator Arena's installer deploys) or
 * `training.kubeflow.org/operator-name: pytorchjob-controller` (the Kubeflow training-operator).
 * kubeflow/arena v0.15.2 pkg/training/trainer_pytorch.go:287, pkg/apis/utils/training.go:54-75.
 */
async function jobPods(client: KubeClient, ns: string, name: string): Promise<Obj[]> {
  const list = await client.get<Obj>(
    `${CORE(ns, 'pods')}?labelSelector=${encodeURIComponent(`release=${name},app=pytorchjob`)}`
  );
  return ((list?.items as Obj[]) ?? [])
    .filter(
      (p) =>
        p.metadata.labels?.['group-name'] === 'kubeflow.org' ||
        p.metadata.labels?.['training.kubeflow.org/operator-name'] === 'pytorchjob-controller'
    )
    .sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
}

/** The chief: replica type master under either operator (trainer_pytorch.go:308-318). */
const isMaster = (p: Obj): boolean =>
  p.metadata.labels?.['pytorch-replica-type'] === 'master' ||
  p.metadata.labels?.['training.kubeflow.org/replica-type'] === 'master';

const JOB_NOT_FOUND = "training job not found,please use 'arena list' to make sure job is existed";

async function findJob(client: KubeClient, ns: string, name: string): Promise<Obj> {
  const job = await client.get<Obj>(`${PYTORCHJOBS(ns)}/${name}`);
  if (!job) throw new ArenaError(JOB_NOT_FOUND);
  return job;
}

export async function getJob(client: KubeClient, ns: string, name: string, output: string, io: Io): Promise<number> {
  if (!['', 'json', 'yaml', 'wide'].includes(output))
    throw new ArenaError(`unknown output format "${output}", only support json, yaml and wide`);
  const job = await findJob(client, ns, name);
  const pods = await jobPods(client, ns, name);
  const status = jobStatus(job);
  const instances = pods.map((p) => {
    const isChief = isMaster(p);
    return {
      ip: p.status?.podIP ?? '',
      status: podStatus(p),
      phase: p.status?.phase ?? 'Pending',
      name: p.metadata.name,
      age: age(p.status?.startTime ?? p.metadata.creationTimestamp),
      node: p.spec?.nodeName ?? 'N/A',
      chief: isChief,
      requestGPUs: Number(p.spec?.containers?.[0]?.resources?.limits?.['nvidia.com/gpu'] ?? 0),
      gpus: {}
    };
  });
  const info = {
    name,
    namespace: ns,
    duration: duration(job),
    status,
    trainer: 'PYTORCHJOB',
    tensorboard: '',
    chiefName: instances.find((i) => i.chief)?.name ?? `${name}-master-0`,
    instances,
    priority: 'N/A',
    requestGPUs: requestedGpus(job),
    allocatedGPUs: status === 'RUNNING' ? requestedGpus(job) : 0,
    creationTimestamp: Math.floor(Date.parse(job.metadata.creationTimestamp ?? new Date().toISOString()) / 1000)
  };
  if (output === 'json') {
    io.out(JSON.stringify(info, null, 4) + '\n');
    return 0;
  }
  if (output === 'yaml') {
    io.out(toYaml(info));
    return 0;
  }
  const wide = output === 'wide';
  io.out(
    columns([
      ['Name:', name],
      ['Status:', status],
      ['Namespace:', ns],
      ['Priority:', 'N/A'],
      ['Trainer:', 'PYTORCHJOB'],
      ['Duration:', info.duration],
      ['CreateTime:', goTime(job.metadata.creationTimestamp)],
      ['EndTime:', goTime(job.status?.completionTime)]
    ]) + '\nInstances:\n'
  );
  const header = ['NAME', 'STATUS', 'AGE', 'IS_CHIEF', 'GPU(Requested)', 'NODE', ...(wide ? ['IP'] : [])];
  const rows = instances.map((i) => [
    i.name,
    i.status,
    i.age,
    String(i.chief),
    String(i.requestGPUs),
    i.node,
    ...(wide ? [i.ip || 'N/A'] : [])
  ]);
  io.out(
    columns([header, header.map((h) => '-'.repeat(h.length)), ...rows])
      .split('\n')
      .map((l) => (l ? `  ${l}` : l))
      .join('\n')
  );
  return 0;
}

export async function listJobs(client: KubeClient, ns: string, io: Io): Promise<number> {
  const list = await client.get<Obj>(PYTORCHJOBS(ns));
  const jobs = ((list?.items as Obj[]) ?? []).sort((a, b) =>
    String(a.metadata.name).localeCompare(String(b.metadata.name))
  );
  const rows = [['NAME', 'STATUS', 'TRAINER', 'DURATION', 'GPU(Requested)', 'GPU(Allocated)', 'NODE']];
  for (const j of jobs) {
    const st = jobStatus(j);
    const pods = await jobPods(client, ns, j.metadata.name);
    const node = pods.find(isMaster)?.spec?.nodeName ?? 'N/A';
    rows.push([
      j.metadata.name,
      st,
      'PYTORCHJOB',
      duration(j),
      String(requestedGpus(j)),
      st === 'RUNNING' ? String(requestedGpus(j)) : 'N/A',
      node
    ]);
  }
  io.out(columns(rows));
  return 0;
}

export async function jobLogs(client: KubeClient, ns: string, name: string, f: FlagValues, io: Io): Promise<number> {
  await findJob(client, ns, name);
  const pods = await jobPods(client, ns, name);
  const instance = (f.instance as string) || pods.find(isMaster)?.metadata.name || `${name}-master-0`;
  if (!pods.some((p) => p.metadata.name === instance)) {
    throw new ArenaError(
      `can't find the instance ${instance} of the job ${name}, please check the instances with \`arena get ${name}\``
    );
  }
  const q = new URLSearchParams({ container: 'pytorch' });
  if (f.follow) q.set('follow', 'true');
  if ((f.tail as number) >= 0) q.set('tailLines', String(f.tail));
  if (f.since) q.set('sinceSeconds', String(Math.floor(parseGoDuration(f.since as string))));
  if (f.timestamps) q.set('timestamps', 'true');
  await client.stream(`${CORE(ns, 'pods')}/${instance}/log?${q}`, (c) => io.out(c));
  return 0;
}

export async function deleteJobs(client: KubeClient, ns: string, names: string[], io: Io): Promise<number> {
  for (const name of names) {
    // Arena finds a training job only through its `<name>-<type>` ConfigMap: without it the job counts as not
    // existing, even when the PyTorchJob is there, and the command ends with exit 0 (pkg/training/get_advanced.go
    // :33-48, pkg/apis/arenaclient/training_client.go:202-210)
    const cm = await client.get(`${CORE(ns, 'configmaps')}/${name}-pytorchjob`);
    if (!cm) {
      io.log('info', `The training job '${name}' does not exist,skip to delete it`);
      return 0;
    }
    const job = await client.get(`${PYTORCHJOBS(ns)}/${name}`);
    if (job)
      await client.remove(`${PYTORCHJOBS(ns)}/${name}`, {
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        propagationPolicy: 'Background'
      });
    await client.remove(`${CORE(ns, 'configmaps')}/${name}-pytorchjob`);
    io.log('info', `The training job ${name} has been deleted successfully`);
  }
  return 0;
}
