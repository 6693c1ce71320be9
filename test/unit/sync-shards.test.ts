/**
 * Cluster-mode sync, the pure parts (issue 17 points 1 and 7): shard planning (property-tested: every file in
 * exactly one shard, the heaviest shard within total/k + the largest file), the pod's plan and progress lines,
 * and the Job the runner creates (credentials only through envFrom of the Secret, names checked).
 */
import fc from 'fast-check';
import {
  planShards,
  parseShardPlan,
  parseProgressLine,
  formatProgressLine,
  shardIndex
} from '../../src/stages/sync-shards.js';
import { checkSyncJobName, parseIndexes, syncJob, syncSecret } from '../../src/k8s/sync-job.js';
import { podOssEndpoint, syncJobName } from '../../src/stages/sync-cluster.js';

const fileArb = fc.uniqueArray(
  fc.record({ path: fc.string({ minLength: 1, maxLength: 12 }), size: fc.nat({ max: 10 * 1024 ** 3 }) }),
  { selector: (f) => f.path, maxLength: 80 }
);

describe('planShards', () => {
  it('puts every file in exactly one shard, no shard empty, min(k, files) shards', () => {
    fc.assert(
      fc.property(fileArb, fc.integer({ min: 1, max: 64 }), (files, k) => {
        const shards = planShards(files, k);
        expect(shards).toHaveLength(Math.min(k, files.length));
        for (const s of shards) expect(s.length).toBeGreaterThan(0);
        const seen = shards.flat().map((f) => f.path);
        expect(seen.sort()).toEqual(files.map((f) => f.path).sort());
      })
    );
  });

  it('balances by bytes: the heaviest shard holds at most total/k + the largest file', () => {
    fc.assert(
      fc.property(fileArb, fc.integer({ min: 1, max: 64 }), (files, k) => {
        const shards = planShards(files, k);
        if (shards.length === 0) return;
        const bytes = (fs: readonly { size: number }[]) => fs.reduce((s, f) => s + f.size, 0);
        const ideal = bytes(files) / shards.length;
        const largest = Math.max(...files.map((f) => f.size));
        expect(Math.max(...shards.map(bytes))).toBeLessThanOrEqual(ideal + largest);
      })
    );
  });

  it('gives the same shards for the same listing in any order (a re-run finds its index’s uploads)', () => {
    fc.assert(
      fc.property(fileArb, fc.integer({ min: 1, max: 16 }), (files, k) => {
        const a = planShards(files, k).map((s) => s.map((f) => f.path));
        const b = planShards([...files].reverse(), k).map((s) => s.map((f) => f.path));
        // equal sizes may land in either order of the input only when paths tie, which uniqueness excludes
        expect(b).toEqual(a);
      })
    );
  });

  it('refuses a shard count that is not a positive integer', () => {
    expect(() => planShards([{ path: 'a', size: 1 }], 0)).toThrow(/positive integer, got 0/);
  });
});

describe('shard plan and progress lines', () => {
  const plan = {
    version: 1,
    repo: 'org/m',
    revision: 'main',
    commit: 'a'.repeat(40),
    modelName: 'm',
    ossPrefix: 'llm',
    bucket: 'b',
    region: 'oss-cn-beijing',
    ossEndpoint: 'https://oss-cn-beijing-internal.aliyuncs.com',
    hubEndpoint: 'https://hf-mirror.com',
    signatureV4: true,
    sync: { partSizeBytes: 1, partsInFlight: 1, filesInParallel: 1, retries: 1 },
    shards: [[{ path: 'x', size: 1, gitOid: 'g' }], [{ path: 'y', size: 2, gitOid: 'h' }]]
  };

  it('reads a plan back and names what is wrong with a bad one', () => {
    expect(parseShardPlan(JSON.stringify(plan)).shards).toHaveLength(2);
    expect(() => parseShardPlan(undefined)).toThrow(/ARENA_FT_SYNC_PLAN is empty/);
    expect(() => parseShardPlan('{')).toThrow(/ARENA_FT_SYNC_PLAN is not JSON/);
    expect(() => parseShardPlan(JSON.stringify({ ...plan, commit: 'main' }))).toThrow(/not a version 1 shard plan/);
  });

  it('checks the completion index against the plan', () => {
    const p = parseShardPlan(JSON.stringify(plan));
    expect(shardIndex('1', p)).toBe(1);
    expect(() => shardIndex('2', p)).toThrow(/JOB_COMPLETION_INDEX=2 is not a shard of this plan \(0 to 1\)/);
    expect(() => shardIndex(undefined, p)).toThrow(/JOB_COMPLETION_INDEX=\(unset\)/);
  });

  it('round-trips progress lines and ignores every other line', () => {
    const line = {
      shard: 3,
      event: 'file' as const,
      files: 4,
      filesDone: 2,
      bytes: 10,
      bytesDone: 6,
      file: 'a.bin',
      action: 'sent' as const,
      sentBytes: 6
    };
    expect(parseProgressLine(formatProgressLine(line))).toMatchObject(line);
    expect(parseProgressLine('start a.bin (1 MiB)')).toBeUndefined();
    expect(parseProgressLine('{"arenaFtShard":1,"shard":"x"}')).toBeUndefined();
    expect(parseProgressLine('{"arenaFtShard":1,')).toBeUndefined();
  });
});

describe('the sync Job', () => {
  const opts = {
    name: 'bloom-7b1-0123abcd-sync',
    namespace: 'ml',
    image: 'ghcr.io/o/arena-ft-pipeline-sync:0.1.0',
    completions: 4,
    parallelism: 8,
    backoffLimitPerIndex: 2,
    planEnv: 'ARENA_FT_SYNC_PLAN',
    planKey: 'plan.json'
  };

  it('is Indexed with K completions, parallelism at most K, a per-index retry budget', () => {
    const j = syncJob(opts);
    expect(j.spec).toMatchObject({
      completionMode: 'Indexed',
      completions: 4,
      parallelism: 4,
      backoffLimitPerIndex: 2
    });
    expect(j.spec.template.spec.restartPolicy).toBe('Never');
  });

  it('passes credentials only through envFrom of the Secret: no env literal, no argument carries one', () => {
    const c = syncJob(opts).spec.template.spec.containers[0];
    expect(c.args).toEqual(['sync-shard']);
    expect(c.envFrom).toEqual([{ secretRef: { name: `${opts.name}-env` } }]);
    for (const e of c.env) expect(e.value).toBeUndefined();
    const s = syncSecret(opts.name, 'ml', { OSS_ACCESS_KEY_SECRET: 'sk', HF_TOKEN: undefined });
    expect(s.data).toEqual({ OSS_ACCESS_KEY_SECRET: Buffer.from('sk').toString('base64') });
  });

  it('refuses names that are not DNS labels or leave no room for the index', () => {
    expect(() => checkSyncJobName('Bad_Name', 2)).toThrow(/not a DNS-1123 label/);
    expect(() => checkSyncJobName('a'.repeat(62), 11)).toThrow(/room for "-10"/);
    const name = syncJobName('m'.repeat(80), 'f'.repeat(40));
    expect(() => checkSyncJobName(name, 100000)).not.toThrow();
  });

  it('parses index lists as the Job status writes them', () => {
    expect(parseIndexes('1,3-5,7')).toEqual([1, 3, 4, 5, 7]);
    expect(parseIndexes('')).toEqual([]);
  });

  it('gives pods the cluster OSS endpoint as a URL', () => {
    expect(podOssEndpoint('oss-cn-beijing-internal.aliyuncs.com')).toBe('https://oss-cn-beijing-internal.aliyuncs.com');
    expect(podOssEndpoint('http://127.0.0.1:9000/')).toBe('http://127.0.0.1:9000');
  });
});

describe('the sync-image input', () => {
  it('defaults to the image of this package version (the Dockerfile builds it)', async () => {
    const { readFile } = await import('node:fs/promises');
    const { INPUTS } = await import('../../src/config/inputs.js');
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const def = INPUTS.find((i) => i.name === 'sync-image')!.default;
    expect(def).toBe(`ghcr.io/arena-ft-pipeline/arena-ft-pipeline-sync:${pkg.version}`);
    const docker = await readFile(new URL('../../Dockerfile', import.meta.url), 'utf8');
    expect(docker).toMatch(/^FROM node:24-slim$/m);
    expect(docker).toMatch(/^ENTRYPOINT \["node", "\/app\/dist\/cli\/index\.js"\]$/m);
  });
});

describe('sync-shard in a pod that is misconfigured', () => {
  const run = async (env: NodeJS.ProcessEnv) => {
    const { runShard } = await import('../../src/stages/sync-shard-pod.js');
    const out: string[] = [];
    const err: string[] = [];
    const never = () => {
      throw new Error('no client may be built');
    };
    const code = await runShard({
      env,
      deps: { clients: { hub: never, oss: never } },
      out: (l) => void out.push(l),
      err: (l) => void err.push(l),
      signal: new AbortController().signal
    });
    return { code, out, err };
  };
  const plan = JSON.stringify({
    version: 1,
    repo: 'org/m',
    revision: 'main',
    commit: 'b'.repeat(40),
    modelName: 'm',
    ossPrefix: 'llm',
    bucket: 'b',
    region: 'oss-cn-beijing',
    ossEndpoint: 'https://oss-cn-beijing-internal.aliyuncs.com',
    hubEndpoint: 'https://hf-mirror.com',
    signatureV4: true,
    sync: { partSizeBytes: 1, partsInFlight: 1, filesInParallel: 1, retries: 1 },
    shards: [[{ path: 'x', size: 1, gitOid: 'g' }]]
  });

  it('exits 2 naming the Secret when a credential is missing, and reports it as a failed progress line', async () => {
    const r = await run({ ARENA_FT_SYNC_PLAN: plan, JOB_COMPLETION_INDEX: '0', OSS_ACCESS_KEY_SECRET: 'sk' });
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toContain(
      'OSS_ACCESS_KEY_ID is not set: the pod gets it from the sync Secret through envFrom'
    );
    expect(r.out.join('\n')).toContain('"event":"failed"');
    expect([...r.out, ...r.err].join('\n')).not.toContain('sk"');
  });

  it('exits 2 when the completion index is not a shard of the plan', async () => {
    const r = await run({ ARENA_FT_SYNC_PLAN: plan, JOB_COMPLETION_INDEX: '1' });
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toContain('JOB_COMPLETION_INDEX=1 is not a shard of this plan (0 to 0)');
  });
});
