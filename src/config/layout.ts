/**
 * Where everything lives, derived from the config: OSS keys and the paths pods see under the PVC mount.
 * Pure functions; the one place that knows the layout (documented in the README):
 *
 *   <prefix>/<model>/hf/<commit>/...            synced HF files, then .sync-manifest.json (written last)
 *   <prefix>/<model>/ft/<version>/<tp>-gpu/...  converter output, then .convert.json (written on success)
 *   <prefix>/triton/<model>-<version>/...       Triton model repository (config.pbtxt, version folder)
 */
import type { Config } from './types.js';

const join = (...parts: string[]): string => parts.filter((p) => p !== '').join('/');

/** Key prefix (ending in `/`) of the synced HF files at a commit. */
export function hfPrefix(cfg: Config, commit: string): string {
  return join(cfg.oss.prefix, cfg.model.name, 'hf', commit) + '/';
}

export function syncManifestKey(cfg: Config, commit: string): string {
  return hfPrefix(cfg, commit) + '.sync-manifest.json';
}

/** Key prefix (ending in `/`) the converter writes to (`-o`). */
export function ftPrefix(cfg: Config): string {
  return join(cfg.oss.prefix, cfg.model.name, 'ft', cfg.model.version) + '/';
}

/** The converter's checkpoint folder for the configured tensor-parallel size. */
export function ftCheckpointPrefix(cfg: Config): string {
  return `${ftPrefix(cfg)}${cfg.convert.tensorParallel}-gpu/`;
}

export function convertMarkerKey(cfg: Config): string {
  return ftPrefix(cfg) + '.convert.json';
}

/** Key prefix (ending in `/`) of this version's Triton model repository. */
export function tritonRepoPrefix(cfg: Config): string {
  return join(cfg.oss.prefix, 'triton', `${cfg.model.name}-${cfg.model.version}`) + '/';
}

export function tritonConfigKey(cfg: Config): string {
  return `${tritonRepoPrefix(cfg)}${cfg.serve.modelName}/config.pbtxt`;
}

/** `oss://bucket/key` for outputs and the summary. */
export function ossUri(cfg: Config, key: string): string {
  return `oss://${cfg.oss.bucket}/${key}`;
}

/**
 * The path a pod sees for an OSS key: the PV mounts `pvPath` of the bucket at `mountPath`.
 * Throws when the key is not under the PV's path (the config check makes that impossible for derived keys).
 */
export function podPath(cfg: Config, key: string): string {
  const pvRel = cfg.cluster.pvPath.replace(/^\/+|\/+$/g, '');
  const mount = cfg.cluster.mountPath.replace(/\/+$/, '');
  if (pvRel === '') return `${mount}/${key}`;
  if (key !== pvRel && !key.startsWith(pvRel + '/')) {
    throw new Error(`OSS key "${key}" is not under the PV path "/${pvRel}"`);
  }
  const rest = key.slice(pvRel.length).replace(/^\/+/, '');
  return rest === '' ? mount : `${mount}/${rest}`;
}

/** The in-pod checkpoint folder config.pbtxt's `model_checkpoint_path` names (with the trailing slash FT expects). */
export function checkpointPodPath(cfg: Config): string {
  return podPath(cfg, ftCheckpointPrefix(cfg).replace(/\/$/, '')) + '/';
}

/** The model repository path given to `--model-repository`. */
export function modelRepositoryPodPath(cfg: Config): string {
  return podPath(cfg, tritonRepoPrefix(cfg).replace(/\/$/, ''));
}

/** Where this version's Triton model repository goes (src/triton/model-config.ts builds what goes there). */
export function modelRepositoryLayout(cfg: Config): { repoPrefix: string; configKey: string; checkpointPath: string } {
  return { repoPrefix: tritonRepoPrefix(cfg), configKey: tritonConfigKey(cfg), checkpointPath: checkpointPodPath(cfg) };
}
