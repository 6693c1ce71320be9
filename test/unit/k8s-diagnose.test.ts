import { describe, expect, it } from '@jest/globals';
import {
  diagnosePod,
  failedJobDiagnosis,
  jobFailure,
  jobPhase,
  rolloutComplete,
  rolloutStuck,
  transientFailure
} from '../../src/k8s/diagnose.js';
import { modelUnavailableReason, servingSpecDiff } from '../../src/k8s/serving.js';
import { contains, ossPv, ossPvc, ossSecret, pvcConflict, pvConflict } from '../../src/k8s/volume.js';
import type { KObj } from '../../src/k8s/types.js';
import { testConfig } from '../helpers/config.js';

const pod = (status: object, spec: object = { containers: [{ name: 'pytorch', image: 'reg/ft:1' }] }): KObj => ({
  kind: 'Pod',
  metadata: { name: 'job-master-0', uid: 'u1' },
  spec,
  status
});
const event = (reason: string, message: string, uid = 'u1'): KObj => ({
  kind: 'Event',
  metadata: { name: `e-${reason}` },
  involvedObject: { kind: 'Pod', name: 'job-master-0', uid },
  reason,
  message,
  type: 'Warning',
  lastTimestamp: '2026-01-01T00:00:00Z'
});

describe('diagnosePod', () => {
  it.each([
    [
      'Unschedulable with the scheduler message',
      pod({
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'cond msg' }]
      }),
      [event('FailedScheduling', '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.')],
      'UNSCHEDULABLE',
      /cannot be scheduled: 0\/3 nodes are available: 3 Insufficient nvidia.com\/gpu/
    ],
    [
      'ErrImagePull naming the image',
      pod({
        phase: 'Pending',
        containerStatuses: [{ name: 'pytorch', state: { waiting: { reason: 'ErrImagePull', message: 'not found' } } }]
      }),
      [],
      'IMAGE_PULL',
      /cannot pull image "reg\/ft:1" \(ErrImagePull\)/
    ],
    [
      'ImagePullBackOff',
      pod({
        phase: 'Pending',
        containerStatuses: [{ name: 'pytorch', state: { waiting: { reason: 'ImagePullBackOff' } } }]
      }),
      [],
      'IMAGE_PULL',
      /ImagePullBackOff/
    ],
    [
      'FailedMount from events',
      pod({
        phase: 'Pending',
        containerStatuses: [{ name: 'pytorch', state: { waiting: { reason: 'ContainerCreating' } } }]
      }),
      [event('FailedMount', 'MountVolume.SetUp failed: bucket not found')],
      'MOUNT_FAILED',
      /bucket not found/
    ],
    [
      'OOMKilled',
      pod({
        phase: 'Failed',
        containerStatuses: [{ name: 'pytorch', state: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }]
      }),
      [],
      'OOM_KILLED',
      /OOMKilled/
    ],
    [
      'CrashLoopBackOff',
      pod({
        phase: 'Running',
        containerStatuses: [
          {
            name: 'pytorch',
            restartCount: 3,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 1 } }
          }
        ]
      }),
      [],
      'CRASH_LOOP',
      /3 restarts, last exit code 1/
    ]
  ])('%s', (_t, p, events, code, msg) => {
    const d = diagnosePod(p, events);
    expect(d?.code).toBe(code);
    expect(d?.message).toMatch(msg);
  });

  it('ignores events of an earlier pod with the same name', () => {
    const p = pod({
      phase: 'Pending',
      containerStatuses: [{ name: 'pytorch', state: { waiting: { reason: 'ContainerCreating' } } }]
    });
    expect(diagnosePod(p, [event('FailedMount', 'old', 'u0')])).toBeUndefined();
  });
  it('finds nothing wrong with a running pod', () => {
    expect(
      diagnosePod(pod({ phase: 'Running', containerStatuses: [{ name: 'pytorch', state: { running: {} } }] }), [])
    ).toBeUndefined();
  });
});

describe('transient failures (worth resubmitting)', () => {
  const failed = (terminated: object | undefined, status: object = {}): KObj => ({
    metadata: { name: 'j-master-0' },
    status: {
      phase: 'Failed',
      ...status,
      ...(terminated ? { containerStatuses: [{ name: 'pytorch', state: { terminated } }] } : {})
    }
  });
  it.each([
    ['traceback, exit 1', failed({ exitCode: 1, reason: 'Error' }), undefined],
    ['OOMKilled repeats', failed({ exitCode: 137, reason: 'OOMKilled' }), undefined],
    ['SIGKILL', failed({ exitCode: 137, reason: 'Error' }), 'killed by signal 9 (exit code 137)'],
    ['SIGSEGV', failed({ exitCode: 139, reason: 'Error' }), 'killed by signal 11 (exit code 139)'],
    ['evicted', failed(undefined, { reason: 'Evicted', message: 'low on ephemeral-storage' }), 'was Evicted: low on'],
    ['node shutdown', failed(undefined, { reason: 'NodeShutdown' }), 'was NodeShutdown']
  ] as [string, KObj, string | undefined][])('%s', (_n, pod, want) => {
    const got = transientFailure(pod);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(want);
  });
  it('marks a failed job retryable only for a transient pod failure; a pod diagnosis wins', () => {
    const job: KObj = {
      metadata: { name: 'j' },
      status: { conditions: [{ type: 'Failed', status: 'True', reason: 'PyTorchJobFailed', message: 'm' }] }
    };
    expect(failedJobDiagnosis(job, [failed({ exitCode: 137, reason: 'Error' })], [])).toMatchObject({
      code: 'JOB_FAILED',
      retryable: true
    });
    expect(failedJobDiagnosis(job, [failed({ exitCode: 1, reason: 'Error' })], []).retryable).toBeUndefined();
    expect(failedJobDiagnosis(job, [failed({ exitCode: 137, reason: 'OOMKilled' })], [])).toMatchObject({
      code: 'OOM_KILLED'
    });
  });
});

describe('job and rollout state', () => {
  const job = (conds: [string, string][]): KObj => ({
    metadata: { name: 'j' },
    status: {
      conditions: conds.map(([type, status]) => ({ type, status, reason: `${type}Reason`, message: `${type} msg` }))
    }
  });
  it.each([
    [[], 'Pending'],
    [[['Created', 'True']], 'Created'],
    [
      [
        ['Created', 'True'],
        ['Running', 'True']
      ],
      'Running'
    ],
    [
      [
        ['Running', 'False'],
        ['Restarting', 'True']
      ],
      'Restarting'
    ],
    [
      [
        ['Running', 'False'],
        ['Succeeded', 'True']
      ],
      'Succeeded'
    ],
    [
      [
        ['Running', 'False'],
        ['Failed', 'True']
      ],
      'Failed'
    ]
  ] as [[string, string][], string][])('%j → %s', (c, phase) => expect(jobPhase(job(c))).toBe(phase));
  it('describes the Failed condition', () =>
    expect(jobFailure(job([['Failed', 'True']])).message).toBe('PyTorchJob j failed (FailedReason): Failed msg'));

  const dep = (status: object, generation = 2): KObj => ({
    metadata: { name: 'd', generation },
    spec: { replicas: 1 },
    status
  });
  it('rollout complete only when observed, updated, available', () => {
    const ok = {
      observedGeneration: 2,
      replicas: 1,
      updatedReplicas: 1,
      availableReplicas: 1,
      conditions: [{ type: 'Available', status: 'True' }]
    };
    expect(rolloutComplete(dep(ok))).toBe(true);
    expect(rolloutComplete(dep({ ...ok, observedGeneration: 1 }))).toBe(false);
    expect(rolloutComplete(dep({ ...ok, availableReplicas: 0 }))).toBe(false);
    expect(
      rolloutStuck(
        dep({
          conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'x' }]
        })
      )?.code
    ).toBe('ROLLOUT_STUCK');
  });
  it('reads the model UNAVAILABLE reason from Triton’s log', () => {
    expect(
      modelUnavailableReason([
        "E1125 model_lifecycle.cc:596] failed to load 'fastertransformer' version 1: Internal: tensor_para_size 2 != gpus 1"
      ])
    ).toBe('model fastertransformer is UNAVAILABLE: Internal: tensor_para_size 2 != gpus 1');
    expect(modelUnavailableReason(['| fastertransformer | 1       | UNAVAILABLE: bad thing |'])).toBe(
      'model fastertransformer is UNAVAILABLE: bad thing'
    );
    expect(modelUnavailableReason(['all good'])).toBeUndefined();
  });
  it('compares a serving Deployment with the wanted spec', () => {
    const d: KObj = {
      metadata: { name: 'x' },
      spec: {
        replicas: 1,
        template: {
          spec: {
            containers: [
              {
                name: 'tritonserver',
                image: 'i',
                args: ['tritonserver', '--model-repository=/mnt/r'],
                resources: { limits: { 'nvidia.com/gpu': 2 } }
              }
            ]
          }
        }
      }
    };
    expect(servingSpecDiff(d, { image: 'i', gpus: 2, replicas: 1, modelRepository: '/mnt/r' })).toEqual([]);
    expect(servingSpecDiff(d, { image: 'j', gpus: 1, replicas: 2, modelRepository: '/mnt/s' })).toHaveLength(4);
  });
});

describe('OSS volume objects', () => {
  const cfg = testConfig({ cluster: { pvPath: '/llm' } });
  it('builds Secret, PV and PVC as ACK’s CSI plugin wants them', () => {
    expect(ossSecret(cfg).data).toEqual({
      akId: Buffer.from('LTAI5tTestKey').toString('base64'),
      akSecret: Buffer.from('test-secret').toString('base64')
    });
    const pv = ossPv(cfg);
    expect(pv.metadata.labels).toMatchObject({
      'alicloud-pvname': 'model-pv',
      'app.kubernetes.io/managed-by': 'arena-ft-pipeline'
    });
    expect(pv.spec.csi).toMatchObject({
      driver: 'ossplugin.csi.alibabacloud.com',
      volumeHandle: 'model-pv',
      volumeAttributes: { bucket: 'models', url: 'oss-cn-hangzhou-internal.aliyuncs.com', path: '/llm' }
    });
    expect(ossPvc(cfg).spec).toMatchObject({
      storageClassName: '',
      selector: { matchLabels: { 'alicloud-pvname': 'model-pv' } }
    });
  });
  it.each([
    [{ bucket: 'other' }, /bucket "other"/],
    [{ path: '/x' }, /path "\/x"/],
    [{ url: 'oss-cn-beijing.aliyuncs.com' }, /endpoint/]
  ])('refuses a PV pointing elsewhere %p', (attrs, msg) => {
    const existing = ossPv(cfg);
    existing.spec.csi.volumeAttributes = { ...existing.spec.csi.volumeAttributes, ...attrs };
    expect(pvConflict(existing, ossPv(cfg))).toMatch(msg);
  });
  it('refuses a PV bound to another claim, accepts its own', () => {
    const existing = { ...ossPv(cfg), spec: { ...ossPv(cfg).spec, claimRef: { name: 'x', namespace: 'default' } } };
    expect(pvConflict(existing, ossPv(cfg), { name: 'model-pvc', namespace: 'default' })).toMatch(
      /bound to the claim default\/x/
    );
    expect(pvConflict(ossPv(cfg), ossPv(cfg), { name: 'model-pvc', namespace: 'default' })).toBeUndefined();
  });
  it('refuses a PVC bound elsewhere or dynamic', () => {
    expect(
      pvcConflict({ ...ossPvc(cfg), spec: { ...ossPvc(cfg).spec, volumeName: 'other' } }, ossPvc(cfg), 'model-pv')
    ).toMatch(/volume "other"/);
    expect(
      pvcConflict(
        { ...ossPvc(cfg), spec: { ...ossPvc(cfg).spec, storageClassName: 'alicloud-disk' } },
        ossPvc(cfg),
        'model-pv'
      )
    ).toMatch(/storage class/);
    expect(pvcConflict(ossPvc(cfg), ossPvc(cfg), 'model-pv')).toBeUndefined();
  });
  it('contains() ignores server-added fields', () => {
    expect(contains({ a: 1, b: { c: [1, 2], d: 3 }, e: 'x' }, { a: 1, b: { c: [1, 2] } })).toBe(true);
    expect(contains({ a: 1 }, { a: 2 })).toBe(false);
  });
});
