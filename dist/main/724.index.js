export const id = 724;
export const ids = [724];
export const modules = {

/***/ 60425:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   B7: () => (/* binding */ serveTritonArgs),
/* harmony export */   GT: () => (/* binding */ serveDeleteArgs),
/* harmony export */   Oo: () => (/* binding */ deleteJobArgs),
/* harmony export */   yf: () => (/* binding */ submitPytorchJobArgs)
/* harmony export */ });
/* unused harmony exports checkDns1123Label, dataFlag */
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(45059);

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
function checkDns1123Label(what, value) {
  if (value.length > 63 || !DNS1123_LABEL.test(value)) {
    throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .PipelineError */ .zC(
      "INVALID_NAME",
      `${what} "${value}" is not a valid Kubernetes name (DNS-1123 label)`,
      'Use at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit.'
    );
  }
  return value;
}
function positive(what, n, min = 1) {
  if (!Number.isInteger(n) || n < min) {
    throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .PipelineError */ .zC(
      "INVALID_VALUE",
      `${what} must be an integer \u2265 ${min}, got ${n}`,
      `Set ${what} to ${min} or more.`
    );
  }
  return String(n);
}
function dataFlag(pvc, mountPath) {
  checkDns1123Label("PVC name", pvc);
  if (!mountPath.startsWith("/") || mountPath.includes(":")) {
    throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .PipelineError */ .zC(
      "INVALID_VALUE",
      `mount path "${mountPath}" must be absolute and contain no ":"`,
      "Set mount-path to an absolute path such as /mnt."
    );
  }
  return `${pvc}:${mountPath}`;
}
function submitPytorchJobArgs(spec) {
  const args = [
    "submit",
    "pytorchjob",
    `--name=${checkDns1123Label("job name", spec.name)}`,
    `--namespace=${checkDns1123Label("namespace", spec.namespace)}`,
    `--image=${nonEmpty("converter image", spec.image)}`,
    `--gpus=${positive("convert gpus", spec.gpus, 0)}`,
    `--workers=${positive("convert workers", spec.workers)}`,
    `--data=${dataFlag(spec.pvc, spec.mountPath)}`,
    `--running-timeout=${positive("convert timeout", spec.runningTimeoutSeconds)}s`
  ];
  for (const [k, v] of Object.entries(spec.labels ?? {})) args.push(`--label=${k}=${v}`);
  args.push(nonEmpty("converter command", spec.command));
  return args;
}
function serveTritonArgs(spec) {
  const args = [
    "serve",
    "triton",
    `--name=${checkDns1123Label("serving name", spec.name)}`,
    `--version=${checkDns1123Label("serving version", spec.version)}`,
    `--namespace=${checkDns1123Label("namespace", spec.namespace)}`,
    `--image=${nonEmpty("serving image", spec.image)}`,
    `--gpus=${positive("serve gpus", spec.gpus, 0)}`,
    `--replicas=${positive("serve replicas", spec.replicas)}`,
    `--data=${dataFlag(spec.pvc, spec.mountPath)}`,
    `--model-repository=${nonEmpty("model repository", spec.modelRepository)}`,
    "--allow-metrics"
  ];
  for (const [k, v] of Object.entries(spec.labels ?? {})) args.push(`--label=${k}=${v}`);
  return args;
}
function deleteJobArgs(name, namespace) {
  return ["delete", checkDns1123Label("job name", name), `--namespace=${checkDns1123Label("namespace", namespace)}`];
}
function serveDeleteArgs(name, version, namespace) {
  return [
    "serve",
    "delete",
    checkDns1123Label("serving name", name),
    `--version=${checkDns1123Label("serving version", version)}`,
    `--namespace=${checkDns1123Label("namespace", namespace)}`
  ];
}
function nonEmpty(what, v) {
  if (v.trim() === "") throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .PipelineError */ .zC("INVALID_VALUE", `${what} is empty`, `Set ${what}.`);
  return v;
}



/***/ }),

/***/ 17422:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   iX: () => (/* binding */ deleteServingVersion),
/* harmony export */   jy: () => (/* binding */ deleteTrainingJob)
/* harmony export */ });
/* unused harmony exports cleanupPytorchJob, cleanupServing */
/* harmony import */ var _exec_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(15649);
/* harmony import */ var _args_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(60425);


async function deleteServingVersion(run, env, namespace, name, version) {
  const args = (0,_args_js__WEBPACK_IMPORTED_MODULE_1__/* .serveDeleteArgs */ .GT)(name, version, namespace);
  const res = await run(args, { env });
  if (res.exitCode === 0) return true;
  if (/not found|no serving job|not exist/i.test(res.stderr + res.stdout)) return false;
  await (0,_exec_js__WEBPACK_IMPORTED_MODULE_0__/* .arenaOrThrow */ .FT)(async () => res, args, `delete serving ${name} version ${version}`);
  return false;
}
async function deleteTrainingJob(run, env, namespace, name) {
  const args = (0,_args_js__WEBPACK_IMPORTED_MODULE_1__/* .deleteJobArgs */ .Oo)(name, namespace);
  const res = await run(args, { env });
  if (res.exitCode === 0) return true;
  if (/not found|not exist|failed to find/i.test(res.stderr + res.stdout)) return false;
  await (0,_exec_js__WEBPACK_IMPORTED_MODULE_0__/* .arenaOrThrow */ .FT)(async () => res, args, `delete job ${name}`);
  return false;
}
const cleanupServing = async (record, ctx) => {
  await deleteServingVersion(runArena, ctx.env, record.namespace, record.name, record.version);
};
const cleanupPytorchJob = async (record, ctx) => {
  await deleteTrainingJob(runArena, ctx.env, record.namespace, record.name);
};



/***/ }),

/***/ 73705:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Mb: () => (/* binding */ diagnosePod),
/* harmony export */   Ms: () => (/* binding */ rolloutStuck),
/* harmony export */   Z8: () => (/* binding */ rolloutComplete),
/* harmony export */   eL: () => (/* binding */ jobFailure),
/* harmony export */   zq: () => (/* binding */ jobPhase)
/* harmony export */ });
/* unused harmony exports condition, conditions, eventsFor, isTrue */
function conditions(obj) {
  return obj?.status?.conditions ?? [];
}
function condition(obj, type) {
  return conditions(obj).find((c) => c.type === type);
}
function isTrue(obj, type) {
  return condition(obj, type)?.status === "True";
}
function eventsFor(obj, events) {
  const uid = obj.metadata.uid;
  return events.filter((e) => {
    const inv = e.involvedObject;
    if (!inv || inv.name !== obj.metadata.name) return false;
    if (obj.kind && inv.kind && inv.kind !== obj.kind) return false;
    return !(uid && inv.uid && inv.uid !== uid);
  }).sort((a, b) => eventTime(a).localeCompare(eventTime(b)));
}
function eventTime(e) {
  return String(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp ?? "");
}
function containerStatuses(pod) {
  return [
    ...pod.status?.initContainerStatuses ?? [],
    ...pod.status?.containerStatuses ?? []
  ];
}
function specImage(pod, container) {
  const all = [
    ...pod.spec?.initContainers ?? [],
    ...pod.spec?.containers ?? []
  ];
  return all.find((c) => c.name === container)?.image;
}
const IMAGE_PULL = /* @__PURE__ */ new Set(["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"]);
function diagnosePod(pod, events = []) {
  const d = podProblem(pod, events);
  return d && { ...d, pod: pod.metadata.name };
}
function podProblem(pod, events) {
  const name = `pod ${pod.metadata.name}`;
  const mine = eventsFor({ ...pod, kind: pod.kind ?? "Pod" }, events);
  const sched = condition(pod, "PodScheduled");
  if (sched?.status === "False" && sched.reason === "Unschedulable") {
    const ev = [...mine].reverse().find((e) => e.reason === "FailedScheduling");
    const why = String(ev?.message ?? sched.message ?? "no node fits");
    return {
      code: "UNSCHEDULABLE",
      message: `${name} cannot be scheduled: ${why}`,
      hint: /nvidia\.com\/gpu/.test(why) ? "The cluster has no node with enough free GPUs: lower the GPU count, free GPUs, or add a GPU node." : "No node satisfies the pod\u2019s requests, selectors or tolerations: check the scheduler message.",
      details: []
    };
  }
  for (const cs of containerStatuses(pod)) {
    const waiting = cs.state?.waiting;
    if (waiting?.reason && IMAGE_PULL.has(waiting.reason)) {
      const image = specImage(pod, cs.name) ?? cs.image ?? "?";
      const ev = [...mine].reverse().find((e) => e.reason === "Failed" && String(e.message ?? "").includes("image"));
      return {
        code: "IMAGE_PULL",
        message: `${name} cannot pull image "${image}" (${waiting.reason})${waiting.message ? `: ${waiting.message}` : ""}`,
        hint: "Check the image name and tag, and that the cluster can reach the registry (use the VPC registry inside the region, or an image pull secret).",
        details: ev ? [String(ev.message)] : []
      };
    }
  }
  const mount = [...mine].reverse().find((e) => e.reason === "FailedMount" || e.reason === "FailedAttachVolume");
  if (mount && !isRunning(pod)) {
    return {
      code: "MOUNT_FAILED",
      message: `${name} cannot mount its volume: ${String(mount.message ?? "")}`,
      hint: "Check the PV\u2019s bucket, path and endpoint, and the OSS credential Secret (akId/akSecret) the PV references.",
      details: []
    };
  }
  for (const cs of containerStatuses(pod)) {
    const term = cs.state?.terminated ?? cs.lastState?.terminated;
    if (term?.reason === "OOMKilled") {
      return {
        code: "OOM_KILLED",
        message: `${name} container ${cs.name} was killed for using too much memory (OOMKilled)`,
        hint: "Give the container more memory, or convert with fewer processes (-p).",
        details: []
      };
    }
  }
  for (const cs of containerStatuses(pod)) {
    const waiting = cs.state?.waiting;
    if (waiting?.reason === "CrashLoopBackOff") {
      const last = cs.lastState?.terminated;
      return {
        code: "CRASH_LOOP",
        message: `${name} container ${cs.name} keeps crashing (CrashLoopBackOff, ${cs.restartCount ?? 0} restarts${last ? `, last exit code ${last.exitCode}` : ""})`,
        hint: "Read the container\u2019s last log lines below.",
        details: []
      };
    }
    if (waiting?.reason === "CreateContainerConfigError" || waiting?.reason === "CreateContainerError") {
      return {
        code: "CONTAINER_CONFIG",
        message: `${name} container ${cs.name} cannot start: ${waiting.message ?? waiting.reason}`,
        hint: "Check the Secrets and ConfigMaps the pod references.",
        details: []
      };
    }
  }
  return void 0;
}
function isRunning(pod) {
  return pod.status?.phase === "Running" || pod.status?.phase === "Succeeded";
}
function jobPhase(job) {
  if (!job) return "Pending";
  if (isTrue(job, "Succeeded")) return "Succeeded";
  if (isTrue(job, "Failed")) return "Failed";
  if (isTrue(job, "Restarting")) return "Restarting";
  if (isTrue(job, "Running")) return "Running";
  if (isTrue(job, "Created")) return "Created";
  return "Pending";
}
function jobFailure(job) {
  const c = condition(job, "Failed");
  return {
    code: "JOB_FAILED",
    message: `PyTorchJob ${job.metadata.name} failed${c?.reason ? ` (${c.reason})` : ""}${c?.message ? `: ${c.message}` : ""}`,
    hint: "Read the converter\u2019s last log lines below; fix the cause and run again with resubmit-failed: true (it deletes the failed job and submits anew).",
    details: []
  };
}
function rolloutComplete(dep) {
  if (!dep) return false;
  const want = dep.spec?.replicas ?? 1;
  const st = dep.status ?? {};
  return (st.observedGeneration ?? 0) >= (dep.metadata.generation ?? 0) && (st.updatedReplicas ?? 0) === want && (st.availableReplicas ?? 0) === want && (st.replicas ?? want) === want && isTrue(dep, "Available");
}
function rolloutStuck(dep) {
  const p = condition(dep, "Progressing");
  if (p?.status === "False" && p.reason === "ProgressDeadlineExceeded") {
    return {
      code: "ROLLOUT_STUCK",
      message: `Deployment ${dep.metadata.name} exceeded its progress deadline: ${p.message ?? ""}`,
      hint: "The pods did not become ready in time; read the pod diagnosis and logs below.",
      details: []
    };
  }
  return void 0;
}



/***/ }),

/***/ 14038:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Zr: () => (/* binding */ readTail),
/* harmony export */   wO: () => (/* binding */ followLog)
/* harmony export */ });
/* unused harmony exports LineDeduper, splitTimestamp, timestampKey */
/* harmony import */ var node_stream__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(57075);
/* harmony import */ var _util_retry_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(29481);


const TS = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d) (.*)$/s;
function timestampKey(ts) {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(ts);
  return m ? `${m[1]}.${(m[2] ?? "").padEnd(9, "0")}` : void 0;
}
function splitTimestamp(line) {
  const m = TS.exec(line);
  if (!m || m[3] !== "Z") return { text: line };
  const ts = `${m[1]}${m[2] ? `.${m[2]}` : ""}Z`;
  return { ts, key: timestampKey(ts), text: m[4] };
}
class LineDeduper {
  lastKey;
  lastTs;
  seenAtLast = 0;
  seenCount = 0;
  timestamps;
  // per connection
  connIndex = 0;
  connAtLast = 0;
  /** What to ask for on the next connection. */
  nextRequest() {
    this.connIndex = 0;
    this.connAtLast = 0;
    return this.timestamps && this.lastTs ? { sinceTime: this.lastTs } : {};
  }
  /** The line's text to emit, or undefined when it was already emitted. */
  accept(raw) {
    this.connIndex++;
    const { ts, key, text } = splitTimestamp(raw);
    if (this.timestamps === void 0) this.timestamps = key !== void 0;
    if (this.timestamps && key !== void 0 && ts !== void 0) {
      if (this.lastKey !== void 0 && key < this.lastKey) return void 0;
      if (key === this.lastKey) {
        this.connAtLast++;
        if (this.connAtLast <= this.seenAtLast) return void 0;
        this.seenAtLast++;
      } else {
        this.lastKey = key;
        this.lastTs = ts;
        this.seenAtLast = 1;
        this.connAtLast = 1;
      }
      return text;
    }
    if (this.connIndex <= this.seenCount) return void 0;
    this.seenCount++;
    return this.timestamps ? text : raw;
  }
}
function followLog(api, namespace, pod, container, opts) {
  const keep = opts.keep ?? 50;
  const sleep = opts.sleep ?? _util_retry_js__WEBPACK_IMPORTED_MODULE_1__/* .abortableSleep */ .Mf;
  const lines = [];
  const dedupe = new LineDeduper();
  const stopper = new AbortController();
  let current;
  const emit = (raw) => {
    const text = dedupe.accept(raw.replace(/\r$/, ""));
    if (text === void 0) return;
    lines.push(text);
    if (lines.length > keep) lines.shift();
    opts.onLine(text);
  };
  const loop = async () => {
    let failures = 0;
    let lastTry = false;
    while (!stopper.signal.aborted) {
      let partial = "";
      const sink = new node_stream__WEBPACK_IMPORTED_MODULE_0__.Writable({
        write(chunk, _enc, cb) {
          const parts = (partial + chunk.toString("utf8")).split("\n");
          partial = parts.pop() ?? "";
          for (const p of parts) emit(p);
          cb();
        }
      });
      let ok = false;
      let got = false;
      try {
        const since = dedupe.nextRequest();
        const stream = await api.log(namespace, pod, container, { follow: true, timestamps: true, ...since }, sink);
        current = stream;
        if (stopper.signal.aborted) stream.abort();
        got = true;
        await stream.done;
        ok = true;
      } catch (err) {
        if (stopper.signal.aborted) break;
        opts.onReconnect?.(`log stream of ${pod} ${got ? "dropped" : "not available"} (${err.message})`);
      }
      if (stopper.signal.aborted) break;
      if (ok && partial !== "") emit(partial);
      const finished = await (opts.finished?.() ?? Promise.resolve(false)).catch(() => false);
      if (finished) {
        if (!ok && !lastTry) {
          lastTry = true;
          continue;
        }
        break;
      }
      failures = ok ? 1 : failures + 1;
      await sleep((0,_util_retry_js__WEBPACK_IMPORTED_MODULE_1__/* .backoffDelay */ .EY)(Math.min(failures, 6), 200, 5e3, Math.random), stopper.signal).catch(() => void 0);
    }
  };
  const done = loop();
  return {
    tail: () => [...lines],
    stop: async () => {
      stopper.abort();
      current?.abort();
      await done;
    },
    done
  };
}
async function readTail(api, namespace, pod, lines, container) {
  let text = "";
  try {
    const sink = new node_stream__WEBPACK_IMPORTED_MODULE_0__.Writable({
      write(c, _e, cb) {
        text += c.toString("utf8");
        cb();
      }
    });
    const s = await api.log(namespace, pod, container, { tailLines: lines }, sink);
    await s.done;
  } catch {
    return [];
  }
  return text.split("\n").filter((l) => l !== "");
}



/***/ }),

/***/ 19724:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  convertStage: () => (/* binding */ convertStage),
  makeConvertStage: () => (/* binding */ makeConvertStage),
  markerProblem: () => (/* binding */ markerProblem),
  verifyOutput: () => (/* binding */ verifyOutput)
});

// EXTERNAL MODULE: ./.tmp/ncc-src/src/config/layout.js
var layout = __webpack_require__(21095);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/errors.js
var errors = __webpack_require__(45059);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/arena/exec.js
var exec = __webpack_require__(15649);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/arena/cleanup.js
var cleanup = __webpack_require__(17422);
;// CONCATENATED MODULE: ./.tmp/ncc-src/src/arena/converter.js
const CONVERTER = "/FasterTransformer/examples/pytorch/gpt/utils/huggingface_bloom_convert.py";
function shQuote(word) {
  if (word !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
function converterCommand(p) {
  const strip = (d) => d.length > 1 ? d.replace(/\/+$/, "") : d;
  return [
    "python",
    CONVERTER,
    "-i",
    shQuote(strip(p.inputDir)),
    "-o",
    shQuote(strip(p.outputDir)),
    "-tp",
    String(p.tensorParallel),
    "-dt",
    p.dataType,
    "-p",
    String(p.processes),
    "-v"
  ].join(" ");
}


// EXTERNAL MODULE: ./.tmp/ncc-src/src/arena/args.js
var args = __webpack_require__(60425);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/k8s/cluster.js + 2 modules
var cluster = __webpack_require__(73571);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/k8s/diagnose.js
var diagnose = __webpack_require__(73705);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/k8s/logs.js
var logs = __webpack_require__(14038);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/k8s/types.js
var types = __webpack_require__(54724);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/k8s/wait.js
var wait = __webpack_require__(97040);
;// CONCATENATED MODULE: ./.tmp/ncc-src/src/k8s/job.js




const MASTER_CONTAINER = "pytorch";
const masterPodName = (job) => `${job}-master-0`;
class JobProblem extends Error {
  constructor(diagnosis) {
    super(diagnosis.message);
    this.diagnosis = diagnosis;
    this.name = "JobProblem";
  }
  diagnosis;
}
class JobTimeout extends Error {
  constructor(lastPhase) {
    super(`the job is still ${lastPhase}`);
    this.lastPhase = lastPhase;
    this.name = "JobTimeout";
  }
  lastPhase;
}
function ownPods(job, pods) {
  const uid = job?.metadata.uid;
  return pods.filter((p) => {
    if (p.metadata.deletionTimestamp) return false;
    const owners = p.metadata.ownerReferences ?? [];
    return !uid || owners.length === 0 || owners.some((o) => o.uid === uid);
  });
}
async function watchJob(o) {
  const master = masterPodName(o.name);
  let follower;
  let lastPhase = "Pending";
  const startFollower = () => {
    if (follower || !o.onLogLine) return;
    follower = (0,logs/* followLog */.wO)(o.api, o.namespace, master, MASTER_CONTAINER, {
      onLine: o.onLogLine,
      keep: 50,
      onReconnect: (why) => o.onReconnect?.(why),
      finished: async () => {
        const pod = await o.api.get(types/* POD */.Sm, o.namespace, master);
        if (!pod) return true;
        if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") return true;
        const cs = (pod.status?.containerStatuses ?? []).find(
          (c) => c.name === MASTER_CONTAINER
        );
        return !!cs?.state?.terminated;
      }
    });
  };
  const finishLogs = async () => {
    if (!follower) return [];
    await Promise.race([follower.done, new Promise((r) => setTimeout(r, 2e3).unref())]);
    await follower.stop();
    return follower.tail();
  };
  try {
    const result = await (0,wait/* waitFor */.f)({
      api: o.api,
      sources: {
        job: { type: types/* PYTORCHJOB */.fG, namespace: o.namespace, selector: { fieldSelector: `metadata.name=${o.name}` } },
        pods: {
          type: types/* POD */.Sm,
          namespace: o.namespace,
          selector: { labelSelector: `training.kubeflow.org/job-name=${o.name}` }
        },
        events: { type: types/* EVENT */.ll, namespace: o.namespace }
      },
      check: ({ job, pods, events }) => {
        const j = job.find((x) => x.metadata.name === o.name);
        const phase = (0,diagnose/* jobPhase */.zq)(j);
        if (j && phase !== lastPhase) {
          lastPhase = phase;
          o.onPhase?.(phase, j);
          if (phase === "Restarting" && follower) {
            void follower.stop();
            follower = void 0;
          }
        }
        if (!j)
          return {
            fail: new JobProblem({
              code: "JOB_DELETED",
              message: `PyTorchJob ${o.name} is gone (deleted by someone else?)`,
              hint: "Run again to submit it anew.",
              details: []
            })
          };
        if (phase === "Succeeded") return { done: j };
        const mine = ownPods(j, pods);
        if (phase === "Failed") {
          const job2 = (0,diagnose/* jobFailure */.eL)(j);
          const pod = mine.map((p) => (0,diagnose/* diagnosePod */.Mb)(p, events)).find((d) => d !== void 0);
          return { fail: new JobProblem(pod ? { ...pod, message: `${job2.message}: ${pod.message}` } : job2) };
        }
        if (mine.some(
          (p) => p.metadata.name === master && (p.status?.phase === "Running" || p.status?.phase === "Succeeded" || p.status?.phase === "Failed")
        ))
          startFollower();
        for (const pod of mine) {
          const d = (0,diagnose/* diagnosePod */.Mb)(pod, events);
          if (d) return { fail: new JobProblem(d) };
        }
        return void 0;
      },
      timeoutMs: o.timeoutMs,
      onTimeout: () => new JobTimeout(lastPhase),
      signal: o.signal,
      timers: o.timers,
      onReconnect: (src, why) => o.onReconnect?.(`${src}: ${why}`)
    });
    const noticedAt = Date.now();
    return { job: result, logTail: await finishLogs(), noticedAt };
  } catch (err) {
    const tail = await finishLogs();
    if (err instanceof JobProblem) {
      const logTail = tail.length > 0 ? tail : await (0,logs/* readTail */.Zr)(o.api, o.namespace, master, 20, MASTER_CONTAINER);
      throw new JobProblem({ ...err.diagnosis, details: [...err.diagnosis.details, ...logTail.slice(-20)] });
    }
    throw err;
  }
}


;// CONCATENATED MODULE: ./.tmp/ncc-src/src/stages/convert.js











function commitOf(ctx) {
  const c = ctx.state.commit ?? (/^[0-9a-f]{40}$/.test(ctx.config.model.revision) ? ctx.config.model.revision : void 0);
  if (!c) {
    throw new errors/* PipelineError */.zC(
      "CONVERT_COMMIT_UNKNOWN",
      "the HF commit to convert is unknown (the sync stage did not run in this job)",
      "Run the sync stage before convert in the same run, or pass the revision as a full commit sha."
    );
  }
  return c;
}
function markerProblem(cfg, marker, listing) {
  if (!marker) return "no marker";
  if (marker.parameters?.tensorParallel !== cfg.convert.tensorParallel)
    return `the marker is for tp ${marker.parameters?.tensorParallel}`;
  const have = new Map(listing.map((f) => [f.key, f.size]));
  const missing = (marker.files ?? []).filter((f) => have.get(f.key) !== f.size);
  if (!marker.files?.length) return "the marker lists no files";
  if (missing.length) return `${missing.length} converted file(s) are missing or changed, e.g. ${missing[0].key}`;
  return void 0;
}
async function readMarker(oss, cfg) {
  const text = await oss.getText((0,layout/* convertMarkerKey */.D1)(cfg));
  if (text === void 0) return void 0;
  try {
    return JSON.parse(text);
  } catch {
    return void 0;
  }
}
async function verifyOutput(oss, cfg) {
  const prefix = (0,layout/* ftCheckpointPrefix */.xo)(cfg);
  const { keys } = await oss.list(prefix);
  const ini = keys.find((k) => k.key === `${prefix}config.ini`);
  const tensors = keys.filter((k) => k.key.endsWith(".bin"));
  const where = (0,layout/* ossUri */.uf)(cfg, prefix);
  if (!ini)
    throw new errors/* PipelineError */.zC(
      "CONVERT_OUTPUT_MISSING",
      `the converter wrote no config.ini in ${where}`,
      "Read the converter log; check -o and that the PVC mounts the bucket path you expect."
    );
  if (tensors.length === 0)
    throw new errors/* PipelineError */.zC(
      "CONVERT_OUTPUT_MISSING",
      `the converter wrote no tensor files (*.bin) in ${where}`,
      "Read the converter log; the conversion stopped before saving weights."
    );
  const text = await oss.getText(ini.key) ?? "";
  const tp = /^\s*tensor_para_size\s*=\s*(\d+)/m.exec(text)?.[1];
  if (tp !== void 0 && Number(tp) !== cfg.convert.tensorParallel) {
    throw new errors/* PipelineError */.zC(
      "CONVERT_OUTPUT_MISMATCH",
      `${where}config.ini says tensor_para_size=${tp}, expected ${cfg.convert.tensorParallel}`,
      "Delete the output folder and convert again with the tensor-parallel input."
    );
  }
  return keys;
}
async function deleteJob(deps, api, cfg, ctx, why) {
  ctx.log.info(`Deleting PyTorchJob ${cfg.cluster.namespace}/${cfg.convert.jobName} (${why})`);
  const gone = await (0,cleanup/* deleteTrainingJob */.jy)(deps.arena, ctx.env, cfg.cluster.namespace, cfg.convert.jobName);
  if (!gone) await api.delete(types/* PYTORCHJOB */.fG, cfg.cluster.namespace, cfg.convert.jobName);
}
async function waitGone(api, cfg, ctx, deps) {
  await (0,wait/* waitFor */.f)({
    api,
    sources: {
      job: {
        type: types/* PYTORCHJOB */.fG,
        namespace: cfg.cluster.namespace,
        selector: { fieldSelector: `metadata.name=${cfg.convert.jobName}` }
      }
    },
    check: ({ job }) => job.some((j) => j.metadata.name === cfg.convert.jobName) ? void 0 : { done: true },
    timeoutMs: 12e4,
    signal: ctx.signal,
    timers: deps.timers
  });
}
function converterArgs(cfg, commit) {
  const command = converterCommand({
    inputDir: (0,layout/* podPath */.HW)(cfg, (0,layout/* hfPrefix */.ne)(cfg, commit).replace(/\/$/, "")),
    outputDir: (0,layout/* podPath */.HW)(cfg, (0,layout/* ftPrefix */.vc)(cfg).replace(/\/$/, "")),
    tensorParallel: cfg.convert.tensorParallel,
    dataType: cfg.convert.dataType,
    processes: cfg.convert.processes
  });
  return (0,args/* submitPytorchJobArgs */.yf)({
    name: cfg.convert.jobName,
    namespace: cfg.cluster.namespace,
    image: cfg.convert.image,
    gpus: cfg.convert.gpus,
    workers: cfg.convert.workers,
    pvc: cfg.cluster.pvcName,
    mountPath: cfg.cluster.mountPath,
    runningTimeoutSeconds: cfg.convert.timeoutSeconds,
    labels: types/* MANAGED_BY */.Kf,
    command
  });
}
function jobSeconds(job, fallbackMs) {
  const s = Date.parse(String(job.status?.startTime ?? ""));
  const e = Date.parse(String(job.status?.completionTime ?? ""));
  return Number.isFinite(s) && Number.isFinite(e) && e >= s ? Math.round((e - s) / 1e3) : Math.round(fallbackMs / 1e3);
}
function makeConvertStage(deps = cluster/* defaultDeps */.m) {
  return {
    name: "convert",
    async plan(ctx) {
      const cfg = ctx.config;
      const oss = deps.oss(ctx);
      const marker = await readMarker(oss, cfg);
      if (marker && !markerProblem(cfg, marker, (await oss.list((0,layout/* ftCheckpointPrefix */.xo)(cfg))).keys)) {
        return { action: "skip", reason: `already converted (${(0,layout/* ossUri */.uf)(cfg, (0,layout/* convertMarkerKey */.D1)(cfg))})` };
      }
      const job = await deps.kube(ctx).api.get(types/* PYTORCHJOB */.fG, cfg.cluster.namespace, cfg.convert.jobName);
      if (job)
        return {
          action: "run",
          reason: `PyTorchJob ${cfg.convert.jobName} exists (${(0,diagnose/* jobPhase */.zq)(job)}): would attach, verify or resubmit`
        };
      return {
        action: "run",
        reason: `would submit PyTorchJob ${cfg.convert.jobName} (tp ${cfg.convert.tensorParallel}, ${cfg.convert.dataType}, image ${cfg.convert.image})`
      };
    },
    async run(ctx) {
      const cfg = ctx.config;
      const ns = cfg.cluster.namespace;
      const name = cfg.convert.jobName;
      const oss = deps.oss(ctx);
      const marker = await readMarker(oss, cfg);
      if (marker) {
        const why = markerProblem(cfg, marker, (await oss.list((0,layout/* ftCheckpointPrefix */.xo)(cfg))).keys);
        if (!why) {
          return {
            status: "skipped",
            summary: `already converted by ${marker.jobName} (${marker.fileCount} files)`,
            details: { job: marker.jobName, files: marker.fileCount },
            outputs: { "convert-job": marker.jobName, "checkpoint-uri": (0,layout/* ossUri */.uf)(cfg, (0,layout/* ftCheckpointPrefix */.xo)(cfg)) }
          };
        }
        ctx.log.warning(`The conversion marker is stale (${why}); converting again.`);
      }
      const commit = commitOf(ctx);
      const { api } = deps.kube(ctx);
      const started = Date.now();
      let existing = await api.get(types/* PYTORCHJOB */.fG, ns, name);
      let submitted = false;
      const record = { kind: "pytorchjob", namespace: ns, name };
      if (existing && (0,diagnose/* jobPhase */.zq)(existing) === "Failed") {
        const tail = await (0,logs/* readTail */.Zr)(api, ns, masterPodName(name), 20, MASTER_CONTAINER);
        const c = existing.status?.conditions?.find((x) => x.type === "Failed");
        if (!cfg.convert.resubmitFailed) {
          throw new errors/* PipelineError */.zC(
            "CONVERT_JOB_FAILED",
            `PyTorchJob ${ns}/${name} of this version already failed${c?.reason ? ` (${c.reason})` : ""}${c?.message ? `: ${c.message}` : ""}`,
            "Fix the cause (log below), then run again with resubmit-failed: true to delete and resubmit it.",
            { details: tail }
          );
        }
        ctx.log.warning(`PyTorchJob ${name} failed earlier (${c?.reason ?? "Failed"}); deleting and resubmitting it.`);
        await deleteJob(deps, api, cfg, ctx, "resubmitting a failed job");
        await waitGone(api, cfg, ctx, deps);
        existing = void 0;
      }
      if (!existing) {
        const args = converterArgs(cfg, commit);
        ctx.log.info(`arena ${args.map((a) => /\s/.test(a) ? JSON.stringify(a) : a).join(" ")}`);
        const res = await deps.arena(args, { env: ctx.env });
        if (res.exitCode !== 0 && /already exist/i.test(res.stderr + res.stdout)) {
          ctx.log.info(`PyTorchJob ${name} was submitted meanwhile by someone else; attaching to it.`);
        } else {
          if (res.exitCode !== 0) throw (0,exec/* arenaError */.Gh)(args, res, "submit the conversion");
          submitted = true;
          ctx.cleanup.add(record);
          ctx.log.info(`Submitted PyTorchJob ${ns}/${name} through arena`);
        }
      } else {
        ctx.log.info(`PyTorchJob ${ns}/${name} exists (${(0,diagnose/* jobPhase */.zq)(existing)}); attaching to it`);
      }
      let job;
      try {
        const res = await ctx.log.group(
          `Converter log (${name})`,
          () => watchJob({
            api,
            namespace: ns,
            name,
            timeoutMs: cfg.convert.timeoutSeconds * 1e3,
            signal: ctx.signal,
            timers: deps.timers,
            onPhase: (phase, j) => {
              if (phase === "Restarting") {
                const c = (j.status?.conditions).find(
                  (x) => x.type === "Restarting"
                );
                ctx.log.warning(`PyTorchJob ${name} is restarting: ${c?.message ?? ""}`);
              } else ctx.log.info(`PyTorchJob ${name}: ${phase}`);
            },
            onLogLine: (line) => ctx.log.info(line),
            onReconnect: (why) => ctx.log.debug(`convert watch: ${why}`)
          })
        );
        deps.onNoticed?.("job", res.job, res.noticedAt);
        job = res.job;
      } catch (err) {
        if (ctx.signal.aborted) {
          if (submitted) {
            await deleteJob(deps, api, cfg, ctx, "the run was cancelled").catch(
              (e) => ctx.log.warning(`Could not delete the job: ${e.message}`)
            );
            ctx.cleanup.remove(record);
          }
          throw new errors/* PipelineError */.zC(
            "CANCELLED",
            `cancelled while converting${submitted ? `; deleted PyTorchJob ${name}` : `; PyTorchJob ${name} (not submitted by this run) was left running`}`,
            "Run again to convert.",
            { cause: err }
          );
        }
        if (err instanceof JobTimeout) {
          await deleteJob(deps, api, cfg, ctx, "timeout").catch(
            (e) => ctx.log.warning(`Could not delete the job: ${e.message}`)
          );
          ctx.cleanup.remove(record);
          const tail = await (0,logs/* readTail */.Zr)(api, ns, masterPodName(name), 20, MASTER_CONTAINER);
          throw new errors/* PipelineError */.zC(
            "CONVERT_TIMEOUT",
            `PyTorchJob ${ns}/${name} did not finish within ${cfg.convert.timeoutSeconds} s (it was ${err.lastPhase}); deleted it`,
            "Raise convert-timeout, or look at the log below for where it stalled.",
            { details: tail }
          );
        }
        if (err instanceof JobProblem) {
          const d = err.diagnosis;
          const now = await api.get(types/* PYTORCHJOB */.fG, ns, name).catch(() => void 0);
          if (submitted && now && (0,diagnose/* jobPhase */.zq)(now) !== "Failed") {
            await deleteJob(deps, api, cfg, ctx, d.code).catch(
              (e) => ctx.log.warning(`Could not delete the job: ${e.message}`)
            );
          }
          ctx.cleanup.remove(record);
          throw new errors/* PipelineError */.zC(`CONVERT_${d.code}`, d.message, d.hint, { details: d.details });
        }
        throw err;
      }
      ctx.cleanup.remove(record);
      const files = await verifyOutput(oss, cfg);
      const durationSeconds = jobSeconds(job, Date.now() - started);
      const newMarker = {
        version: cfg.model.version,
        jobName: name,
        parameters: {
          tensorParallel: cfg.convert.tensorParallel,
          dataType: cfg.convert.dataType,
          processes: cfg.convert.processes,
          image: cfg.convert.image,
          input: (0,layout/* hfPrefix */.ne)(cfg, commit)
        },
        durationSeconds,
        fileCount: files.length,
        files,
        finishedAt: (/* @__PURE__ */ new Date()).toISOString()
      };
      await oss.putObject((0,layout/* convertMarkerKey */.D1)(cfg), Buffer.from(JSON.stringify(newMarker, null, 2)));
      const summary = `${submitted ? "converted" : "attached to and verified"} PyTorchJob ${name}: ${files.length} files in ${durationSeconds} s`;
      ctx.log.info(summary);
      return {
        status: "done",
        summary,
        details: { job: name, files: files.length, "duration-s": durationSeconds },
        outputs: { "convert-job": name, "checkpoint-uri": (0,layout/* ossUri */.uf)(cfg, (0,layout/* ftCheckpointPrefix */.xo)(cfg)) }
      };
    }
  };
}
const convertStage = makeConvertStage();



/***/ })

};
