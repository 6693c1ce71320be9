/**
 * What keeps GPUs from staying held by finished work: the conversion job's clean-pod policy and TTL (set through
 * Arena's own flags), and which pods are a run's GPU pods.
 */
import type { Config } from '../config/types.js';
import type { PytorchJobSpec } from '../arena/args.js';

/**
 * `--clean-task-policy=Running`: when the job ends the operator deletes its pods that are still running or
 * pending (a worker outliving a failed master keeps no GPU), and keeps finished pods: a finished pod holds no GPU
 * (the scheduler releases a pod's resources when it ends), and the convert stage reads the failed master's log
 * and container status for its diagnosis, which `All` would delete under it. `--ttl-after-finished` then deletes
 * the whole job, its ConfigMap and its pods (owner references) once it has been finished that long.
 */
export function finishedJobPolicy(cfg: Config): Pick<PytorchJobSpec, 'cleanTaskPolicy' | 'ttlAfterFinishedSeconds'> {
  return {
    cleanTaskPolicy: 'Running',
    ...(cfg.convert.ttlSeconds !== undefined ? { ttlAfterFinishedSeconds: cfg.convert.ttlSeconds } : {})
  };
}
