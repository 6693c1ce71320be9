/**
 * storage: the OSS bucket as a volume in the cluster — credential Secret, PV (OSS CSI) and PVC, applied
 * server-side and idempotently (a second run changes nothing), never taking over a PV or PVC that mounts
 * something else; then wait for the PVC to be Bound.
 */
import type { Config } from '../config/types.js';
import { ftPrefix, hfPrefix, podPath } from '../config/layout.js';
import { PipelineError } from '../errors.js';
import type { PlanLine, Stage, StageContext, StageOutcome } from '../pipeline/types.js';
import type { ClusterDeps } from './deps.js';
import { PV, PVC, SECRET, type KObj, type KubeApi } from '../k8s/types.js';
import { contains, csiUrl, ossPv, ossPvc, ossSecret, pvConflict, pvcConflict } from '../k8s/volume.js';
import { waitFor, WaitTimeoutError } from '../k8s/wait.js';

const BIND_TIMEOUT_MS = 300_000;

/** Every key the pods will read or write must be under the PV's path, or the mount cannot reach it. */
function checkPaths(cfg: Config, commit: string | undefined): void {
  const keys = [ftPrefix(cfg), ...(commit ? [hfPrefix(cfg, commit)] : [])];
  for (const key of keys) {
    try {
      podPath(cfg, key.replace(/\/$/, ''));
    } catch (err) {
      throw new PipelineError(
        'STORAGE_PATH_OUTSIDE_PV',
        (err as Error).message,
        'Set pv-path to a prefix of oss-prefix (or "/"), so the volume reaches the synced files.',
        { cause: err }
      );
    }
  }
}

interface Desired {
  readonly obj: KObj;
  readonly existing?: KObj;
}

async function current(api: KubeApi, cfg: Config): Promise<Desired[]> {
  const ns = cfg.cluster.namespace;
  const want = [ossSecret(cfg), ossPv(cfg), ossPvc(cfg)];
  const [secret, pv, pvc] = await Promise.all([
    api.get(SECRET, ns, cfg.cluster.secretName),
    api.get(PV, undefined, cfg.cluster.pvName),
    api.get(PVC, ns, cfg.cluster.pvcName)
  ]);
  const claim = { name: cfg.cluster.pvcName, namespace: ns };
  const pvWhy = pv && pvConflict(pv, want[1], claim);
  if (pvWhy) {
    throw new PipelineError(
      'STORAGE_CONFLICT',
      `PersistentVolume ${cfg.cluster.pvName} already exists and ${pvWhy}`,
      'Pick another pvc-name (the PV is named `<namespace>-<pvc-name>`), or delete that volume if it is no longer used; the action never overwrites it.'
    );
  }
  const pvcWhy = pvc && pvcConflict(pvc, want[2], cfg.cluster.pvName);
  if (pvcWhy) {
    throw new PipelineError(
      'STORAGE_CONFLICT',
      `PersistentVolumeClaim ${ns}/${cfg.cluster.pvcName} already exists and ${pvcWhy}`,
      'Pick another pvc-name, or delete that claim if it is no longer used; the action never overwrites it.'
    );
  }
  return [
    { obj: want[0], existing: secret },
    { obj: want[1], existing: pv },
    { obj: want[2], existing: pvc }
  ];
}

const describe = (o: KObj) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

function waitBound(api: KubeApi, cfg: Config, ctx: StageContext, deps: ClusterDeps): Promise<KObj> {
  const ns = cfg.cluster.namespace;
  return waitFor<'pvc', KObj>({
    api,
    sources: { pvc: { type: PVC, namespace: ns, selector: { fieldSelector: `metadata.name=${cfg.cluster.pvcName}` } } },
    check: ({ pvc }) => {
      const claim = pvc.find((p) => p.metadata.name === cfg.cluster.pvcName);
      if (claim && claim.status?.phase === 'Bound') {
        if (claim.spec?.volumeName && claim.spec.volumeName !== cfg.cluster.pvName) {
          return {
            fail: new PipelineError(
              'STORAGE_CONFLICT',
              `PVC ${ns}/${cfg.cluster.pvcName} is bound to volume ${claim.spec.volumeName}, not ${cfg.cluster.pvName}`,
              'Delete the claim and run again.'
            )
          };
        }
        return { done: claim };
      }
      if (claim?.status?.phase === 'Lost') {
        return {
          fail: new PipelineError(
            'PVC_LOST',
            `PVC ${ns}/${cfg.cluster.pvcName} lost its volume`,
            `Check that PersistentVolume ${cfg.cluster.pvName} still exists.`
          )
        };
      }
      return undefined;
    },
    timeoutMs: BIND_TIMEOUT_MS,
    onTimeout: () =>
      new PipelineError(
        'PVC_NOT_BOUND',
        `PVC ${ns}/${cfg.cluster.pvcName} is not Bound after ${BIND_TIMEOUT_MS / 1000} s`,
        `Check that PV ${cfg.cluster.pvName} is Available and that the OSS CSI plugin is installed in the cluster.`
      ),
    signal: ctx.signal,
    timers: deps.timers,
    onReconnect: (_s, why) => ctx.log.debug(`PVC watch: ${why}`)
  }).catch((err) => {
    if (err instanceof WaitTimeoutError)
      throw new PipelineError('PVC_NOT_BOUND', err.message, 'Check the PV and the CSI plugin.');
    throw err;
  });
}

export function makeStorageStage(deps: ClusterDeps): Stage {
  return {
    name: 'storage',
    async plan(ctx): Promise<PlanLine> {
      const cfg = ctx.config;
      checkPaths(cfg, ctx.state.commit);
      // Names and the mount are known from the config alone; the Secret's values are never shown.
      const detail = [
        `Secret ${cfg.cluster.namespace}/${cfg.cluster.secretName} (the OSS AccessKey the CSI plugin mounts with)`,
        `PersistentVolume ${cfg.cluster.pvName}: oss://${cfg.oss.bucket}${cfg.cluster.pvPath} via ${csiUrl(cfg)}`,
        `PersistentVolumeClaim ${cfg.cluster.namespace}/${cfg.cluster.pvcName}, mounted at ${cfg.cluster.mountPath}`
      ];
      if (ctx.planAccess && !ctx.planAccess.cluster) {
        return {
          action: 'run',
          reason: `would apply Secret ${cfg.cluster.secretName}, PV ${cfg.cluster.pvName}, PVC ${cfg.cluster.pvcName} and wait for the PVC to be Bound`,
          doneUnknown: ctx.planAccess.missing ?? 'no kubeconfig in this run',
          detail
        };
      }
      const { api } = deps.kube(ctx);
      const items = await current(api, cfg);
      const todo = items.filter((d) => !d.existing || !contains(d.existing, d.obj)).map((d) => describe(d.obj));
      if (todo.length === 0) return { action: 'skip', reason: 'Secret, PV and PVC exist unchanged' };
      return { action: 'run', reason: `would apply ${todo.join(', ')} and wait for the PVC to be Bound` };
    },
    async run(ctx): Promise<StageOutcome> {
      const cfg = ctx.config;
      checkPaths(cfg, ctx.state.commit);
      const { api } = deps.kube(ctx);
      const items = await current(api, cfg);
      const applied: string[] = [];
      for (const d of items) {
        if (d.existing && contains(d.existing, d.obj)) continue;
        try {
          await api.apply(d.obj);
        } catch (err) {
          throw new PipelineError(
            'STORAGE_APPLY_FAILED',
            `could not apply ${describe(d.obj)}: ${(err as Error).message}`,
            'Check that the kubeconfig’s user may create Secrets, PersistentVolumes and PersistentVolumeClaims.',
            { cause: err }
          );
        }
        applied.push(describe(d.obj));
        ctx.log.info(`Applied ${describe(d.obj)}`);
      }
      const started = Date.now();
      const pvc = await waitBound(api, cfg, ctx, deps);
      const waitedMs = Date.now() - started;
      const summary =
        applied.length === 0
          ? `Secret, PV and PVC unchanged; PVC ${cfg.cluster.pvcName} Bound`
          : `applied ${applied.join(', ')}; PVC Bound in ${(waitedMs / 1000).toFixed(1)} s`;
      ctx.log.info(summary);
      return {
        status: applied.length === 0 ? 'skipped' : 'done',
        summary,
        details: {
          pv: cfg.cluster.pvName,
          pvc: cfg.cluster.pvcName,
          volume: String(pvc.spec?.volumeName ?? cfg.cluster.pvName),
          applied: applied.length
        },
        outputs: { pvc: cfg.cluster.pvcName }
      };
    }
  };
}
