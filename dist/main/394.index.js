export const id = 394;
export const ids = [394];
export const modules = {

/***/ 10394:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  makeStorageStage: () => (/* binding */ makeStorageStage),
  storageStage: () => (/* binding */ storageStage)
});

// EXTERNAL MODULE: ./.tmp/ncc-src/src/config/layout.js
var layout = __webpack_require__(21095);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/errors.js
var errors = __webpack_require__(45059);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/k8s/cluster.js + 2 modules
var cluster = __webpack_require__(73571);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/k8s/types.js
var types = __webpack_require__(54724);
;// CONCATENATED MODULE: ./.tmp/ncc-src/src/k8s/volume.js

const OSS_CSI_DRIVER = "ossplugin.csi.alibabacloud.com";
const SIZE = "20Gi";
const labels = (extra = {}) => ({ ...types/* MANAGED_BY */.Kf, ...extra });
const b64 = (s) => Buffer.from(s, "utf8").toString("base64");
function ossSecret(cfg) {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: cfg.cluster.secretName, namespace: cfg.cluster.namespace, labels: labels() },
    type: "Opaque",
    data: { akId: b64(cfg.oss.accessKeyId), akSecret: b64(cfg.oss.accessKeySecret) }
  };
}
function csiUrl(cfg) {
  return cfg.oss.clusterEndpoint.replace(/^https?:\/\//, "").replace(/\/+$/, "");
}
function ossPv(cfg) {
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: cfg.cluster.pvName, labels: labels({ "alicloud-pvname": cfg.cluster.pvName }) },
    spec: {
      capacity: { storage: SIZE },
      accessModes: ["ReadWriteMany"],
      persistentVolumeReclaimPolicy: "Retain",
      csi: {
        driver: OSS_CSI_DRIVER,
        volumeHandle: cfg.cluster.pvName,
        nodePublishSecretRef: { name: cfg.cluster.secretName, namespace: cfg.cluster.namespace },
        volumeAttributes: {
          bucket: cfg.oss.bucket,
          url: csiUrl(cfg),
          path: cfg.cluster.pvPath,
          otherOpts: "-o max_stat_cache_size=0 -o allow_other"
        }
      }
    }
  };
}
function ossPvc(cfg) {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: cfg.cluster.pvcName, namespace: cfg.cluster.namespace, labels: labels() },
    spec: {
      accessModes: ["ReadWriteMany"],
      resources: { requests: { storage: SIZE } },
      storageClassName: "",
      selector: { matchLabels: { "alicloud-pvname": cfg.cluster.pvName } }
    }
  };
}
const normPath = (p) => `/${String(p ?? "").replace(/^\/+|\/+$/g, "")}`;
function pvConflict(existing, desired, claim) {
  const got = existing.spec?.csi;
  const want = desired.spec.csi;
  if (!got)
    return `it is not a CSI volume (${Object.keys(existing.spec ?? {}).filter((k) => typeof existing.spec[k] === "object").join(", ") || "no source"})`;
  if (got.driver !== want.driver) return `it uses the CSI driver "${got.driver}", not ${want.driver}`;
  const ga = got.volumeAttributes ?? {};
  const wa = want.volumeAttributes;
  if (ga.bucket !== wa.bucket) return `it mounts bucket "${ga.bucket}", not "${wa.bucket}"`;
  if (normPath(ga.path) !== normPath(wa.path)) return `it mounts path "${ga.path}" of the bucket, not "${wa.path}"`;
  if (String(ga.url ?? "").replace(/^https?:\/\//, "") !== wa.url)
    return `it mounts through endpoint "${ga.url}", not "${wa.url}"`;
  const bound = existing.spec?.claimRef;
  if (claim && bound?.name && (bound.name !== claim.name || bound.namespace !== claim.namespace)) {
    return `it is bound to the claim ${bound.namespace}/${bound.name}, not ${claim.namespace}/${claim.name}`;
  }
  return void 0;
}
function pvcConflict(existing, desired, pvName) {
  const volumeName = existing.spec?.volumeName;
  if (volumeName && volumeName !== pvName) return `it is bound to the volume "${volumeName}", not "${pvName}"`;
  const sc = existing.spec?.storageClassName;
  if (sc !== void 0 && sc !== null && sc !== "")
    return `it asks for storage class "${sc}" (a dynamic volume), not the static OSS volume`;
  const sel = existing.spec?.selector?.matchLabels?.["alicloud-pvname"];
  const wantSel = desired.spec.selector.matchLabels["alicloud-pvname"];
  if (!volumeName && sel !== wantSel)
    return `it selects ${sel ? `the volume "${sel}"` : "no volume by label"}, not "${wantSel}"`;
  return void 0;
}
function contains(got, want) {
  if (want === null || typeof want !== "object") return got === want;
  if (Array.isArray(want))
    return Array.isArray(got) && got.length === want.length && want.every((w, i) => contains(got[i], w));
  if (got === null || typeof got !== "object") return false;
  return Object.entries(want).every(
    ([k, v]) => contains(got[k], v)
  );
}


// EXTERNAL MODULE: ./.tmp/ncc-src/src/k8s/wait.js
var wait = __webpack_require__(97040);
;// CONCATENATED MODULE: ./.tmp/ncc-src/src/stages/storage.js






const BIND_TIMEOUT_MS = 3e5;
function checkPaths(cfg, commit) {
  const keys = [(0,layout/* ftPrefix */.vc)(cfg), ...commit ? [(0,layout/* hfPrefix */.ne)(cfg, commit)] : []];
  for (const key of keys) {
    try {
      (0,layout/* podPath */.HW)(cfg, key.replace(/\/$/, ""));
    } catch (err) {
      throw new errors/* PipelineError */.zC(
        "STORAGE_PATH_OUTSIDE_PV",
        err.message,
        'Set pv-path to a prefix of oss-prefix (or "/"), so the volume reaches the synced files.',
        { cause: err }
      );
    }
  }
}
async function current(api, cfg) {
  const ns = cfg.cluster.namespace;
  const want = [ossSecret(cfg), ossPv(cfg), ossPvc(cfg)];
  const [secret, pv, pvc] = await Promise.all([
    api.get(types/* SECRET */.bB, ns, cfg.cluster.secretName),
    api.get(types.PV, void 0, cfg.cluster.pvName),
    api.get(types/* PVC */.YH, ns, cfg.cluster.pvcName)
  ]);
  const claim = { name: cfg.cluster.pvcName, namespace: ns };
  const pvWhy = pv && pvConflict(pv, want[1], claim);
  if (pvWhy) {
    throw new errors/* PipelineError */.zC(
      "STORAGE_CONFLICT",
      `PersistentVolume ${cfg.cluster.pvName} already exists and ${pvWhy}`,
      "Pick another pvc-name (the PV is named `<namespace>-<pvc-name>`), or delete that volume if it is no longer used; the action never overwrites it."
    );
  }
  const pvcWhy = pvc && pvcConflict(pvc, want[2], cfg.cluster.pvName);
  if (pvcWhy) {
    throw new errors/* PipelineError */.zC(
      "STORAGE_CONFLICT",
      `PersistentVolumeClaim ${ns}/${cfg.cluster.pvcName} already exists and ${pvcWhy}`,
      "Pick another pvc-name, or delete that claim if it is no longer used; the action never overwrites it."
    );
  }
  return [
    { obj: want[0], existing: secret },
    { obj: want[1], existing: pv },
    { obj: want[2], existing: pvc }
  ];
}
const describe = (o) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;
function waitBound(api, cfg, ctx, deps) {
  const ns = cfg.cluster.namespace;
  return (0,wait/* waitFor */.f)({
    api,
    sources: { pvc: { type: types/* PVC */.YH, namespace: ns, selector: { fieldSelector: `metadata.name=${cfg.cluster.pvcName}` } } },
    check: ({ pvc }) => {
      const claim = pvc.find((p) => p.metadata.name === cfg.cluster.pvcName);
      if (claim && claim.status?.phase === "Bound") {
        if (claim.spec?.volumeName && claim.spec.volumeName !== cfg.cluster.pvName) {
          return {
            fail: new errors/* PipelineError */.zC(
              "STORAGE_CONFLICT",
              `PVC ${ns}/${cfg.cluster.pvcName} is bound to volume ${claim.spec.volumeName}, not ${cfg.cluster.pvName}`,
              "Delete the claim and run again."
            )
          };
        }
        return { done: claim };
      }
      if (claim?.status?.phase === "Lost") {
        return {
          fail: new errors/* PipelineError */.zC(
            "PVC_LOST",
            `PVC ${ns}/${cfg.cluster.pvcName} lost its volume`,
            `Check that PersistentVolume ${cfg.cluster.pvName} still exists.`
          )
        };
      }
      return void 0;
    },
    timeoutMs: BIND_TIMEOUT_MS,
    onTimeout: () => new errors/* PipelineError */.zC(
      "PVC_NOT_BOUND",
      `PVC ${ns}/${cfg.cluster.pvcName} is not Bound after ${BIND_TIMEOUT_MS / 1e3} s`,
      `Check that PV ${cfg.cluster.pvName} is Available and that the OSS CSI plugin is installed in the cluster.`
    ),
    signal: ctx.signal,
    timers: deps.timers,
    onReconnect: (_s, why) => ctx.log.debug(`PVC watch: ${why}`)
  }).catch((err) => {
    if (err instanceof wait/* WaitTimeoutError */.D)
      throw new errors/* PipelineError */.zC("PVC_NOT_BOUND", err.message, "Check the PV and the CSI plugin.");
    throw err;
  });
}
function makeStorageStage(deps = cluster/* defaultDeps */.m) {
  return {
    name: "storage",
    async plan(ctx) {
      const cfg = ctx.config;
      checkPaths(cfg, ctx.state.commit);
      const { api } = deps.kube(ctx);
      const items = await current(api, cfg);
      const todo = items.filter((d) => !d.existing || !contains(d.existing, d.obj)).map((d) => describe(d.obj));
      if (todo.length === 0) return { action: "skip", reason: "Secret, PV and PVC exist unchanged" };
      return { action: "run", reason: `would apply ${todo.join(", ")} and wait for the PVC to be Bound` };
    },
    async run(ctx) {
      const cfg = ctx.config;
      checkPaths(cfg, ctx.state.commit);
      const { api } = deps.kube(ctx);
      const items = await current(api, cfg);
      const applied = [];
      for (const d of items) {
        if (d.existing && contains(d.existing, d.obj)) continue;
        try {
          await api.apply(d.obj);
        } catch (err) {
          throw new errors/* PipelineError */.zC(
            "STORAGE_APPLY_FAILED",
            `could not apply ${describe(d.obj)}: ${err.message}`,
            "Check that the kubeconfig\u2019s user may create Secrets, PersistentVolumes and PersistentVolumeClaims.",
            { cause: err }
          );
        }
        applied.push(describe(d.obj));
        ctx.log.info(`Applied ${describe(d.obj)}`);
      }
      const started = Date.now();
      const pvc = await waitBound(api, cfg, ctx, deps);
      const waitedMs = Date.now() - started;
      const summary = applied.length === 0 ? `Secret, PV and PVC unchanged; PVC ${cfg.cluster.pvcName} Bound` : `applied ${applied.join(", ")}; PVC Bound in ${(waitedMs / 1e3).toFixed(1)} s`;
      ctx.log.info(summary);
      return {
        status: applied.length === 0 ? "skipped" : "done",
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
const storageStage = makeStorageStage();



/***/ })

};
