/**
 * The sync stage in cluster mode (issue 17 points 1 and 7) through the sandbox: the API server and Job
 * controller run the Indexed Job, and the kubelet runs each shard pod as a real process of the bundled CLI
 * (`dist/cli/index.js sync-shard`), so the bytes move from the sandbox hub's cluster endpoint to the sandbox OSS's
 * internal endpoint. The runner side runs as deploy/rbac.yaml's ServiceAccount (the rules suffice).
 * `npm run build` must have run first (as for the e2e tests; CI builds before testing).
 *
 * No test sleeps: the moments to kill a pod or cancel are the OSS requests themselves (the fault registry's
 * recorder), and a `delay` fault holds the one part upload that must still be in flight then.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import type { RecordedRequest } from '../../sandbox/types.js';
import { cleanUp } from '../../src/composition/index.js';
import { syncClients, syncKube } from '../../src/composition/sync.js';
import { PipelineError } from '../../src/errors.js';
import { ClientNodeKubeApi, loadKubeConfig } from '../../src/k8s/client.js';
import { SYNC_LABEL } from '../../src/k8s/sync-job.js';
import { CONFIGMAP, JOB, POD, SECRET, type KObj, type KubeApi } from '../../src/k8s/types.js';
import { createModalSyncStage, syncJobName } from '../../src/stages/sync-cluster.js';
import { decideSyncMode, modeInputs } from '../../src/stages/sync-mode.js';
import { planShards } from '../../src/stages/sync-shards.js';
import { formatBytes } from '../../src/oss/progress.js';
import { memoryLogger, testConfig, testContext } from '../helpers/config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/cli/index.js');
const IMAGE = 'ghcr.io/example/arena-ft-pipeline-sync';
const MiB = 1024 * 1024;

let sb: Sandbox;
let admin: KubeApi;
let onRecord: ((r: RecordedRequest) => void) | undefined;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error('dist/cli is missing: run `npm run build` first');
  sb = await startSandbox({
    pieces: ['hub', 'oss', 'kube'],
    seedDemo: false,
    speed: 200,
    images: { [IMAGE]: { command: [process.execPath, CLI] } }
  });
  admin = new ClientNodeKubeApi(loadKubeConfig({}, { KUBECONFIG: sb.info.kube!.adminKubeconfig! }));
  const record = sb.faults.record.bind(sb.faults);
  sb.faults.record = (r) => {
    const out = record(r);
    onRecord?.(r);
    return out;
  };
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

beforeEach(() => {
  onRecord = undefined;
  sb.faults.reset();
});

function cfg(model: string, sync: Partial<ReturnType<typeof testConfig>['sync']> = {}) {
  const info = sb.info;
  return testConfig({
    model: { repo: `org/${model}`, revision: 'main', name: model, version: 'v1' },
    hf: { endpoint: info.hub!.endpoint, token: info.hub!.token, include: ['*'], exclude: [] },
    oss: {
      endpoint: info.oss!.endpoint,
      bucket: info.oss!.bucket,
      region: info.oss!.region,
      accessKeyId: info.oss!.accessKeyId,
      accessKeySecret: info.oss!.accessKeySecret,
      prefix: 'llm',
      clusterEndpoint: info.cluster!.oss!.endpoint
    },
    sync: {
      partSizeBytes: MiB,
      partsInFlight: 1,
      filesInParallel: 2,
      retries: 2,
      mode: 'cluster',
      shards: 3,
      parallelism: 3,
      shardRetries: 2,
      image: `${IMAGE}:test`,
      hubClusterEndpoint: info.cluster!.hub!.endpoint,
      ...sync
    },
    cluster: {
      namespace: info.kube!.namespace,
      kubeconfig: readFileSync(info.kube!.pipelineKubeconfig!, 'utf8')
    }
  });
}

const stage = () => createModalSyncStage({ clients: syncClients, kube: syncKube, sleep: async () => undefined });

async function failure(p: Promise<unknown>): Promise<PipelineError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e
  );
  expect(err).toBeInstanceOf(PipelineError);
  return err as PipelineError;
}

/** Nothing of the sync Job is left: no Job, no pod (not even a terminating one), no Secret, no ConfigMap. */
async function expectNothingLeft(name: string) {
  const ns = sb.info.kube!.namespace;
  expect(await admin.get(JOB, ns, name)).toBeUndefined();
  expect((await admin.list(POD, ns, { labelSelector: `${SYNC_LABEL}=${name}` })).items).toEqual([]);
  expect(await admin.get(SECRET, ns, `${name}-env`)).toBeUndefined();
  expect(await admin.get(CONFIGMAP, ns, `${name}-plan`)).toBeUndefined();
}

const ossWrites = () =>
  sb.faults.recorded('oss').filter((r) => r.method === 'PUT' || (r.method === 'POST' && /[?&]uploads/.test(r.url)));
const partPuts = (file: string, n: number) =>
  sb.faults
    .recorded('oss')
    .filter((r) => r.method === 'PUT' && r.url.includes(file) && r.url.includes(`partNumber=${n}&`)).length;

const FILES = [
  { path: 'config.json', content: '{"model_type":"bloom"}' },
  { path: 'tokenizer.json', content: '{"v":1}' },
  { path: 'w1.bin', size: 3 * MiB, seed: 'w1' },
  { path: 'w2.bin', size: 2 * MiB, seed: 'w2' },
  { path: 'w3.bin', size: 2 * MiB, seed: 'w3' },
  { path: 'w4.bin', size: MiB + 5, seed: 'w4' }
];

test('all shards succeed in pods, progress is followed live, every object checked, the manifest written last; a re-run skips', async () => {
  sb.hub!.declareRepo({ id: 'org/all', files: FILES });
  const c = cfg('all');
  const commit = sb.hub!.commitOf('org/all', 'main');
  const prefix = `llm/all/hf/${commit}/`;
  const name = syncJobName('all', commit);
  const ns = sb.info.kube!.namespace;
  // the Job and its Secret as the pods run (read at the first object a pod writes)
  let seen: Promise<[KObj | undefined, KObj | undefined]> | undefined;
  onRecord = (r) => {
    if (!seen && r.method === 'PUT')
      seen = Promise.all([admin.get(JOB, ns, name), admin.get(SECRET, ns, `${name}-env`)]);
  };
  const { ctx, log, cleanup } = testContext(c);
  const out = await stage().run(ctx);
  const [job, secret] = await seen!;
  expect(job!.spec).toMatchObject({
    completionMode: 'Indexed',
    completions: 3,
    parallelism: 3,
    backoffLimitPerIndex: 2
  });
  const container = job!.spec.template.spec.containers[0];
  expect(container.args).toEqual(['sync-shard']);
  expect(container.envFrom).toEqual([{ secretRef: { name: `${name}-env` } }]);
  expect(JSON.stringify(job)).not.toContain(c.oss.accessKeySecret);
  expect(JSON.stringify(job)).not.toContain(c.hf.token);
  expect(secret!.metadata.labels).toMatchObject({
    'app.kubernetes.io/managed-by': 'arena-ft-pipeline',
    [SYNC_LABEL]: name
  });
  expect(secret!.metadata.ownerReferences).toEqual([
    expect.objectContaining({ kind: 'Job', name, uid: job!.metadata.uid })
  ]);
  expect(out.status).toBe('done');
  expect(out.details).toMatchObject({
    mode: 'cluster',
    shards: 3,
    files: 6,
    'files synced': 6,
    job: `${sb.info.kube!.namespace}/${name}`
  });
  expect(sb.oss!.listKeys(prefix).sort()).toEqual(
    ['.sync-manifest.json', ...FILES.map((f) => f.path)].map((k) => prefix + k).sort()
  );
  // the pods wrote through the internal endpoint, and the manifest is the very last write
  const writes = ossWrites();
  expect(writes[writes.length - 1].url).toContain('.sync-manifest.json');
  const meta = sb.oss!.headObject(prefix + 'w1.bin')!;
  expect(meta.size).toBe(3 * MiB);
  // live progress per shard, from the pods' progress lines
  for (let i = 0; i < 3; i++)
    expect(log.lines.some((l) => new RegExp(`^shard ${i}: \\d/\\d files, .*done$`).test(l))).toBe(true);
  expect(log.lines.some((l) => /^shard \d: \d\/\d files, .*; sent w1\.bin$/.test(l))).toBe(true);
  // the credentials never reached a log line
  for (const l of log.lines) expect(l).not.toContain(c.oss.accessKeySecret);
  expect(cleanup.records).toEqual([]);
  await expectNothingLeft(name);

  // manifest present and every object holds its file: skipped without any Job
  const again = testContext(c);
  expect(await stage().run(again.ctx)).toMatchObject({ status: 'skipped' });
  expect(again.log.lines.some((l) => l.startsWith('sync in the cluster'))).toBe(false);

  // without the manifest, the shards skip every unchanged file and the manifest is written again
  const store = syncClients.oss(c.oss, { attempts: 1, signal: new AbortController().signal });
  await store.delete(prefix + '.sync-manifest.json');
  sb.faults.reset();
  const third = testContext(c);
  const out3 = await stage().run(third.ctx);
  expect(out3.details).toMatchObject({ files: 6, 'files synced': 0, 'files skipped': 6, bytes: 0 });
  expect(ossWrites().map((w) => w.url.split('?')[0])).toEqual([`/${prefix}.sync-manifest.json`]);
}, 90_000);

test('a pod killed mid-shard: the replacement pod continues the upload, the parts already sent are kept', async () => {
  sb.hub!.declareRepo({
    id: 'org/kill',
    files: [
      { path: 'config.json', content: '{"model_type":"bloom"}' },
      { path: 'big.bin', size: 4 * MiB, seed: 'big' }
    ]
  });
  const c = cfg('kill', { shards: 1, parallelism: 1 });
  const ns = sb.info.kube!.namespace;
  const commit = sb.hub!.commitOf('org/kill', 'main');
  const name = syncJobName('kill', commit);
  // part 3's first upload is held until after its pod is gone
  sb.faults.add({
    service: 'oss',
    method: 'PUT',
    path: 'big\\.bin\\?partNumber=3&',
    action: { kind: 'delay', ms: 10_000 }
  });
  let killed: Promise<unknown> | undefined;
  onRecord = (r) => {
    if (killed || r.method !== 'PUT' || !/big\.bin\?partNumber=3&/.test(r.url)) return;
    killed = admin
      .list(POD, ns, { labelSelector: `${SYNC_LABEL}=${name}` })
      .then((pods) => Promise.all(pods.items.map((p) => admin.delete(POD, ns, p.metadata.name))));
  };
  const { ctx, log } = testContext(c);
  const out = await stage().run(ctx);
  await killed;
  expect(killed).toBeDefined();
  expect(out.status).toBe('done');
  expect(partPuts('big.bin', 1)).toBe(1);
  expect(partPuts('big.bin', 2)).toBe(1);
  // the replacement pod said so, and only the rest of the file was sent again
  expect(log.lines.some((l) => /done big\.bin .*2 parts kept from an earlier run/.test(l))).toBe(true);
  // big.bin's parts 3-4 (config.json too when the first pod had not finished it)
  expect([2 * MiB, 2 * MiB + 22]).toContain(out.details!.bytes);
  await expectNothingLeft(name);
}, 90_000);

test('a shard failing past its retries fails the stage naming that shard and its reason; nothing is left', async () => {
  const files = [
    { path: 'a.bin', size: MiB, seed: 'a' },
    { path: 'config.json', content: '{"model_type":"bloom"}' },
    { path: 'weights.bin', size: 2 * MiB, seed: 'w' }
  ];
  sb.hub!.declareRepo({ id: 'org/fail', files });
  const c = cfg('fail', { shards: 2, parallelism: 2, shardRetries: 1, retries: 1 });
  const commit = sb.hub!.commitOf('org/fail', 'main');
  const name = syncJobName('fail', commit);
  const shard = planShards(
    files.map((f) => ({ path: f.path, size: f.size ?? Buffer.byteLength(f.content!) })),
    2
  ).findIndex((s) => s.some((f) => f.path === 'weights.bin'));
  sb.faults.add({
    service: 'hub',
    method: 'GET',
    path: 'weights\\.bin',
    times: 1000,
    action: { kind: 'status', status: 500 }
  });
  const { ctx, cleanup } = testContext(c);
  const err = await failure(stage().run(ctx));
  expect(err.code).toBe('SYNC_SHARD_FAILED');
  expect(err.message).toMatch(
    new RegExp(
      `shard ${shard} of 2 \\(1 files, 2\\.0 MiB: weights\\.bin\\) failed in pod ${name}-${shard}-\\w{5} \\(exit code 1, Error\\): Downloading file weights\\.bin of org/fail failed after 1 attempts: .*HTTP 500 \\(request id [^)]*\\)\\. Its pods were deleted`
    )
  );
  expect(err.message).toMatch(/after 2 attempt\(s\) per shard/);
  // one download per pod (sync-retries 1), two pods for that index (sync-shard-retries 1)
  expect(sb.faults.recorded('hub').filter((r) => r.method === 'GET' && r.url.includes('weights.bin'))).toHaveLength(2);
  expect(cleanup.records).toEqual([]);
  await expectNothingLeft(name);
  expect(sb.oss!.listUploads().filter((u) => u.key.startsWith(`llm/fail/`))).toEqual([]);
  expect(sb.oss!.listKeys(`llm/fail/hf/${commit}/.sync-manifest.json`)).toEqual([]);
}, 90_000);

test('cancel during the Job: the Job and its pods are deleted and no upload is left unfinished', async () => {
  sb.hub!.declareRepo({
    id: 'org/cancel',
    files: [
      { path: 'config.json', content: '{"model_type":"bloom"}' },
      { path: 'big.bin', size: 4 * MiB, seed: 'c' },
      { path: 'other.bin', size: 3 * MiB, seed: 'o' }
    ]
  });
  const c = cfg('cancel', { shards: 2, parallelism: 2 });
  const commit = sb.hub!.commitOf('org/cancel', 'main');
  const name = syncJobName('cancel', commit);
  sb.faults.add({
    service: 'oss',
    method: 'PUT',
    path: 'big\\.bin\\?partNumber=2&',
    action: { kind: 'delay', ms: 10_000 }
  });
  const controller = new AbortController();
  onRecord = (r) => {
    if (r.method === 'PUT' && /big\.bin\?partNumber=2&/.test(r.url))
      controller.abort(new Error('cancelled by the test'));
  };
  const { ctx, cleanup } = testContext(c, { signal: controller.signal });
  const err = await failure(stage().run(ctx));
  expect(err.code).toBe('SYNC_CANCELLED');
  expect(cleanup.records).toEqual([]);
  await expectNothingLeft(name);
  expect(sb.oss!.listUploads().filter((u) => u.key.startsWith('llm/cancel/'))).toEqual([]);
  expect(sb.oss!.listKeys(`llm/cancel/hf/${commit}/.sync-manifest.json`)).toEqual([]);
}, 90_000);

test('the cleanup a post step or the CLI runs for a sync-job record removes the Job, its pods and unfinished uploads', async () => {
  sb.hub!.declareRepo({
    id: 'org/post',
    files: [
      { path: 'config.json', content: '{"model_type":"bloom"}' },
      { path: 'big.bin', size: 4 * MiB, seed: 'p' }
    ]
  });
  const c = cfg('post', { shards: 1, parallelism: 1 });
  const commit = sb.hub!.commitOf('org/post', 'main');
  const name = syncJobName('post', commit);
  sb.faults.add({
    service: 'oss',
    method: 'PUT',
    path: 'big\\.bin\\?partNumber=2&',
    action: { kind: 'delay', ms: 10_000 }
  });
  const { ctx, cleanup } = testContext(c);
  let post: Promise<unknown> | undefined;
  let saved: unknown[] = [];
  onRecord = (r) => {
    if (post || r.method !== 'PUT' || !/big\.bin\?partNumber=2&/.test(r.url)) return;
    // what the post step does with the records the main step saved, while this run is still going
    saved = [...cleanup.records];
    post = cleanUp([...cleanup.records], c, {
      log: memoryLogger(),
      env: { KUBECONFIG: sb.info.kube!.pipelineKubeconfig! },
      signal: new AbortController().signal
    });
  };
  const err = await failure(stage().run(ctx));
  expect(await post).toEqual([expect.objectContaining({ status: 'done' })]);
  expect(saved).toEqual([
    {
      kind: 'sync-job',
      namespace: sb.info.kube!.namespace,
      name,
      bucket: c.oss.bucket,
      prefix: `llm/post/hf/${commit}/`
    }
  ]);
  expect(err.code).toBe('SYNC_JOB_DELETED');
  await expectNothingLeft(name);
  expect(sb.oss!.listUploads().filter((u) => u.key.startsWith('llm/post/'))).toEqual([]);
}, 90_000);

test('plan mode says which mode runs the sync and why, with the shards in cluster mode; nothing is created', async () => {
  sb.hub!.declareRepo({ id: 'org/plan', files: FILES });
  const commit = sb.hub!.commitOf('org/plan', 'main');
  const cluster = await stage().plan(testContext({ ...cfg('plan'), plan: true }).ctx);
  expect(cluster.action).toBe('run');
  expect(cluster.reason).toContain(
    `in the cluster as Indexed Job ${sb.info.kube!.namespace}/${syncJobName('plan', commit)}`
  );
  expect(cluster.detail![0]).toBe(
    `sync-mode cluster: 3 pods of ${IMAGE}:test stream from ${sb.info.cluster!.hub!.endpoint} to ${sb.info.cluster!.oss!.endpoint} next to the bucket; this runner only lists, follows and verifies`
  );
  // the shards as planShards makes them from the listing (largest first, onto the lightest shard)
  const shards = planShards(
    FILES.map((f) => ({ path: f.path, size: f.size ?? Buffer.byteLength(f.content!) })),
    3
  );
  expect(shards.map((s) => s.map((f) => f.path))).toEqual([
    ['w1.bin'],
    ['w2.bin', 'w4.bin'],
    ['w3.bin', 'config.json', 'tokenizer.json']
  ]);
  expect(cluster.detail!.slice(1, 4)).toEqual(
    shards.map((s, i) => `  shard ${i}: ${s.length} files, ${formatBytes(s.reduce((n, f) => n + f.size, 0))}`)
  );
  const runner = await stage().plan(testContext({ ...cfg('plan', { mode: 'runner' }), plan: true }).ctx);
  expect(runner.detail![0]).toBe('sync-mode runner: this runner streams every byte from the hub to OSS');
  expect(sb.faults.recorded('kube')).toEqual([]);
}, 60_000);

test('an image the cluster cannot pull fails the stage at once, naming the image and the input to change', async () => {
  sb.hub!.declareRepo({ id: 'org/pull', files: FILES.slice(0, 3) });
  const c = cfg('pull', { image: 'ghcr.io/nobody/not-there:1.0.0' });
  const commit = sb.hub!.commitOf('org/pull', 'main');
  const { ctx, cleanup } = testContext(c);
  const err = await failure(stage().run(ctx));
  expect(err.code).toBe('SYNC_IMAGE_PULL');
  expect(err.message).toMatch(
    /cannot pull image "ghcr\.io\/nobody\/not-there:1\.0\.0" \((ErrImagePull|ImagePullBackOff)\)/
  );
  expect(err.hint).toMatch(/^Set sync-image to an image the cluster can pull/);
  expect(cleanup.records).toEqual([]);
  await expectNothingLeft(syncJobName('pull', commit));
}, 60_000);

test('an object that does not hold its file after the Job completed fails the stage before any manifest', async () => {
  sb.hub!.declareRepo({ id: 'org/verify', files: FILES.slice(0, 4) });
  const c = cfg('verify', { shards: 2, parallelism: 2 });
  const commit = sb.hub!.commitOf('org/verify', 'main');
  // every HEAD of w2.bin says "not there": the pod uploads it anyway, the runner's final check finds it missing
  sb.faults.add({
    service: 'oss',
    method: 'HEAD',
    path: 'w2\\.bin',
    times: 1000,
    action: { kind: 'status', status: 404 }
  });
  const { ctx, cleanup } = testContext(c);
  const err = await failure(stage().run(ctx));
  expect(err.code).toBe('SYNC_VERIFY_FAILED');
  expect(err.message).toMatch(
    /1 object\(s\) under oss:\/\/.* do not hold their file .*: w2\.bin\. No manifest was written\./
  );
  expect(sb.oss!.listKeys(`llm/verify/hf/${commit}/`)).toContain(`llm/verify/hf/${commit}/w2.bin`);
  expect(sb.oss!.listKeys(`llm/verify/hf/${commit}/.sync-manifest.json`)).toEqual([]);
  expect(cleanup.records).toEqual([]);
  await expectNothingLeft(syncJobName('verify', commit));
}, 60_000);

// `sync-mode: auto` (issue 17 point 1): the estimate picks, the plan says which and why, a failed cluster sync is
// followed by the runner's
const treeListings = () => sb.faults.recorded('hub').filter((r) => r.method === 'GET' && r.url.includes('/tree/'));
const sizes = (files: typeof FILES) =>
  files.map((f) => ({ path: f.path, size: f.size ?? Buffer.byteLength(f.content!) }));

test('auto on a small repo: the plan and the run pick the runner with both estimates, listing the hub once; no Job', async () => {
  sb.hub!.declareRepo({ id: 'org/auto-small', files: FILES });
  const c = cfg('auto-small', { mode: 'auto', runnerLocation: 'overseas' });
  const expected = decideSyncMode(modeInputs(c, {}), sizes(FILES));
  expect(expected.mode).toBe('runner');
  const plan = await stage().plan(testContext({ ...c, plan: true }).ctx);
  expect(treeListings()).toHaveLength(1);
  expect(plan.reason).toMatch(/, on this runner$/);
  expect(plan.detail![0]).toBe(`sync-mode auto → ${expected.reason}`);
  expect(plan.detail![0]).toMatch(/on this runner \(sync-runner-location overseas\), .* in the cluster \(3 pods\)/);
  sb.faults.reset();
  const { ctx, log } = testContext(c);
  const out = await stage().run(ctx);
  expect(out.status).toBe('done');
  expect(out.summary).toMatch(/ \(sync-mode auto: runner\)$/);
  expect(out.details).toMatchObject({ mode: 'runner', 'mode reason': expected.reason, 'files synced': FILES.length });
  expect(log.lines).toContain(`sync-mode auto → ${expected.reason}`);
  expect(treeListings()).toHaveLength(1);
  expect(sb.faults.recorded('kube')).toEqual([]);
}, 60_000);

test('auto without a kubeconfig, or with pods in mainland China pointed at huggingface.co, stays on the runner and says why', () => {
  const c = cfg('auto-why', { mode: 'auto' });
  const big = [{ path: 'model.safetensors', size: 100e9 }];
  const noKube = decideSyncMode({ ...modeInputs(c, {}), kubeconfig: false }, big);
  expect(noKube.mode).toBe('runner');
  expect(noKube.reason).toMatch(/^runner: sync-mode auto, no kubeconfig in this run; est\. /);
  const official = decideSyncMode(
    { ...modeInputs(c, {}), region: 'oss-cn-beijing', hubClusterEndpoint: 'https://huggingface.co' },
    big
  );
  expect(official.mode).toBe('runner');
  expect(official.reason).toContain('pods in oss-cn-beijing cannot reach https://huggingface.co');
  expect(official.reason).toContain('set hf-cluster-endpoint');
});

test('auto picking the cluster whose image cannot be pulled: the Job is undone and this runner syncs, with a warning', async () => {
  sb.hub!.declareRepo({ id: 'org/auto-fallback', files: FILES.slice(0, 4) });
  const c = cfg('auto-fallback', { mode: 'auto', image: 'ghcr.io/nobody/not-there:1.0.0' });
  const commit = sb.hub!.commitOf('org/auto-fallback', 'main');
  const prefix = `llm/auto-fallback/hub/${commit}/`.replace('/hub/', '/hf/');
  // the estimate forced to the cluster, as for a big repo (its figures are the real estimate's)
  const decide: typeof decideSyncMode = (m, files) => ({
    ...decideSyncMode(m, files),
    mode: 'cluster',
    reason: 'cluster: forced'
  });
  const st = createModalSyncStage({ clients: syncClients, kube: syncKube, sleep: async () => undefined, decide });
  const { ctx, log, cleanup } = testContext(c);
  const out = await st.run(ctx);
  expect(out.status).toBe('done');
  expect(out.summary).toMatch(/ \(sync-mode auto: runner\)$/);
  expect(out.details).toMatchObject({ mode: 'runner', 'files synced': 4 });
  expect(String(out.details!['mode reason'])).toMatch(
    /^runner, after the cluster sync failed \(SYNC_IMAGE_PULL\); cluster: forced$/
  );
  expect(log.lines.some((l) => /^warning: sync-mode auto: the cluster sync failed \(SYNC_IMAGE_PULL: /.test(l))).toBe(
    true
  );
  expect(sb.oss!.listKeys(prefix).sort()).toEqual(
    ['.sync-manifest.json', ...FILES.slice(0, 4).map((f) => f.path)].map((k) => prefix + k).sort()
  );
  expect(cleanup.records).toEqual([]);
  await expectNothingLeft(syncJobName('auto-fallback', commit));
}, 90_000);
