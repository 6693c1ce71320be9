export const id = 135;
export const ids = [135,449];
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

/***/ 88837:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Ft: () => (/* binding */ isPodReady),
/* harmony export */   UA: () => (/* binding */ servingSelector),
/* harmony export */   gj: () => (/* binding */ waitForRollout),
/* harmony export */   le: () => (/* binding */ RolloutProblem),
/* harmony export */   zI: () => (/* binding */ servingSpecDiff)
/* harmony export */ });
/* unused harmony exports TRITON_CONTAINER, modelUnavailableReason */
/* harmony import */ var _diagnose_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(73705);
/* harmony import */ var _logs_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(14038);
/* harmony import */ var _types_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(54724);
/* harmony import */ var _wait_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(97040);




const TRITON_CONTAINER = "tritonserver";
const servingSelector = (name, version) => `servingName=${name},servingType=triton-serving${version ? `,servingVersion=${version}` : ""}`;
function servingSpecDiff(dep, want) {
  const c = (dep.spec?.template?.spec?.containers ?? []).find(
    (x) => x.name === TRITON_CONTAINER
  );
  if (!c) return ["it has no tritonserver container"];
  const out = [];
  if (c.image !== want.image) out.push(`image ${c.image} \u2192 ${want.image}`);
  const gpus = Number(c.resources?.limits?.["nvidia.com/gpu"] ?? 0);
  if (gpus !== want.gpus) out.push(`gpus ${gpus} \u2192 ${want.gpus}`);
  const replicas = Number(dep.spec?.replicas ?? 1);
  if (replicas !== want.replicas) out.push(`replicas ${replicas} \u2192 ${want.replicas}`);
  const cmd = [...c.command ?? [], ...c.args ?? []].join(" ");
  if (!cmd.includes(`--model-repository=${want.modelRepository}`))
    out.push(`model repository \u2192 ${want.modelRepository}`);
  return out;
}
function isPodReady(pod) {
  return !pod.metadata.deletionTimestamp && pod.status?.phase === "Running" && (pod.status?.conditions ?? []).some(
    (c) => c.type === "Ready" && c.status === "True"
  );
}
function modelUnavailableReason(lines) {
  for (const l of [...lines].reverse()) {
    const m = /failed to load '([^']+)' version \S+: (.*)$/.exec(l);
    if (m) return `model ${m[1]} is UNAVAILABLE: ${m[2].trim()}`;
  }
  for (const l of [...lines].reverse()) {
    const m = /\|\s*(\S+)\s*\|\s*\S+\s*\|\s*UNAVAILABLE: (.*?)\s*\|?\s*$/.exec(l);
    if (m) return `model ${m[1]} is UNAVAILABLE: ${m[2].trim()}`;
  }
  return void 0;
}
class RolloutProblem extends Error {
  constructor(diagnosis) {
    super(diagnosis.message);
    this.diagnosis = diagnosis;
    this.name = "RolloutProblem";
  }
  diagnosis;
}
async function waitForRollout(o) {
  const selector = servingSelector(o.name, o.version);
  const followers = /* @__PURE__ */ new Map();
  const logFailure = new AbortController();
  const tails = () => [...followers.values()].flatMap((f) => f.tail());
  const follow = (pod) => {
    if (followers.has(pod)) return;
    const f = (0,_logs_js__WEBPACK_IMPORTED_MODULE_1__/* .followLog */ .wO)(o.api, o.namespace, pod, TRITON_CONTAINER, {
      keep: 60,
      onLine: (line) => {
        o.onLogLine?.(`[${pod}] ${line}`);
        const reason = modelUnavailableReason([line]);
        if (reason && !logFailure.signal.aborted) {
          logFailure.abort(
            new RolloutProblem({
              code: "MODEL_UNAVAILABLE",
              message: `Triton in pod ${pod} could not load the ${reason.replace(/^model /, "model ")}`,
              hint: unavailableHint(reason),
              details: []
            })
          );
        }
      },
      onReconnect: (why) => o.onReconnect?.(why)
    });
    followers.set(pod, f);
  };
  const signal = o.signal ? AbortSignal.any([o.signal, logFailure.signal]) : logFailure.signal;
  const stopAll = () => Promise.all([...followers.values()].map((f) => f.stop()));
  try {
    const deployment = await (0,_wait_js__WEBPACK_IMPORTED_MODULE_3__/* .waitFor */ .f)({
      api: o.api,
      sources: {
        dep: { type: _types_js__WEBPACK_IMPORTED_MODULE_2__/* .DEPLOYMENT */ .uH, namespace: o.namespace, selector: { labelSelector: selector } },
        pods: { type: _types_js__WEBPACK_IMPORTED_MODULE_2__/* .POD */ .Sm, namespace: o.namespace, selector: { labelSelector: selector } },
        events: { type: _types_js__WEBPACK_IMPORTED_MODULE_2__/* .EVENT */ .ll, namespace: o.namespace }
      },
      check: ({ dep, pods, events }) => {
        const d = dep[0];
        for (const p of pods) if (p.status?.phase === "Running" || p.status?.containerStatuses) follow(p.metadata.name);
        if (d && (0,_diagnose_js__WEBPACK_IMPORTED_MODULE_0__/* .rolloutComplete */ .Z8)(d)) return { done: d };
        const stuck = d && (0,_diagnose_js__WEBPACK_IMPORTED_MODULE_0__/* .rolloutStuck */ .Ms)(d);
        for (const p of pods) {
          if (p.metadata.deletionTimestamp) continue;
          const diag = (0,_diagnose_js__WEBPACK_IMPORTED_MODULE_0__/* .diagnosePod */ .Mb)(p, events);
          if (diag) return { fail: new RolloutProblem(diag) };
        }
        if (stuck) return { fail: new RolloutProblem(stuck) };
        return void 0;
      },
      timeoutMs: o.timeoutMs,
      onTimeout: ({ pods }) => {
        const notReady = pods.filter((p) => !isPodReady(p)).map((p) => `${p.metadata.name} (${p.status?.phase ?? "Pending"})`);
        return new RolloutProblem({
          code: "ROLLOUT_TIMEOUT",
          message: `serving ${o.name} version ${o.version} was not available within ${Math.round(o.timeoutMs / 1e3)} s${notReady.length ? `; not ready: ${notReady.join(", ")}` : ""}`,
          hint: "Large models load for minutes: raise serve-timeout, or read Triton\u2019s log below.",
          details: []
        });
      },
      signal,
      timers: o.timers,
      onReconnect: (src, why) => o.onReconnect?.(`${src}: ${why}`)
    });
    const noticedAt = Date.now();
    await stopAll();
    return { deployment, noticedAt };
  } catch (err) {
    await stopAll();
    let lines = tails();
    const pd = err instanceof RolloutProblem ? err.diagnosis.pod : void 0;
    if (lines.length === 0 && pd) lines = await (0,_logs_js__WEBPACK_IMPORTED_MODULE_1__/* .readTail */ .Zr)(o.api, o.namespace, pd, 40, TRITON_CONTAINER);
    const problem = err instanceof RolloutProblem ? err : logFailure.signal.aborted && err === logFailure.signal.reason ? err : void 0;
    if (!problem) throw err;
    const d = problem.diagnosis;
    const reason = modelUnavailableReason(lines);
    if (d.code === "CRASH_LOOP" && reason) {
      throw new RolloutProblem({
        code: "MODEL_UNAVAILABLE",
        message: `${d.message}: ${reason}`,
        hint: unavailableHint(reason),
        details: lines.slice(-20)
      });
    }
    throw new RolloutProblem({ ...d, details: [...d.details, ...lines.slice(-20)] });
  }
}
function unavailableHint(reason) {
  if (/tensor_para_size|world_size|gpu|config\.ini/i.test(reason)) {
    return "tensor_para_size \xD7 pipeline_para_size must equal the GPUs of the server and the converter\u2019s -tp; convert again with the same tensor-parallel, or fix serve-gpus.";
  }
  return "Read Triton\u2019s log below; check config.pbtxt and that model_checkpoint_path points at the converted <tp>-gpu folder.";
}



/***/ }),

/***/ 91449:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   deployStage: () => (/* binding */ deployStage),
/* harmony export */   makeDeployStage: () => (/* binding */ makeDeployStage),
/* harmony export */   rollback: () => (/* binding */ rollback),
/* harmony export */   servingSpec: () => (/* binding */ servingSpec)
/* harmony export */ });
/* harmony import */ var _config_layout_js__WEBPACK_IMPORTED_MODULE_9__ = __webpack_require__(21095);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(45059);
/* harmony import */ var _arena_exec_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(15649);
/* harmony import */ var _arena_args_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(60425);
/* harmony import */ var _arena_cleanup_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(17422);
/* harmony import */ var _k8s_cluster_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(73571);
/* harmony import */ var _k8s_diagnose_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(73705);
/* harmony import */ var _k8s_serving_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(88837);
/* harmony import */ var _k8s_types_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(54724);
/* harmony import */ var _triton_model_config_js__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(90237);










function servingSpec(cfg) {
  return {
    image: cfg.serve.image,
    gpus: cfg.serve.gpus,
    replicas: cfg.serve.replicas,
    modelRepository: (0,_triton_model_config_js__WEBPACK_IMPORTED_MODULE_8__/* .modelRepositoryPodPath */ .aB)(cfg)
  };
}
async function findServing(api, cfg) {
  const { items } = await api.list(_k8s_types_js__WEBPACK_IMPORTED_MODULE_7__/* .DEPLOYMENT */ .uH, cfg.cluster.namespace, {
    labelSelector: (0,_k8s_serving_js__WEBPACK_IMPORTED_MODULE_6__/* .servingSelector */ .UA)(cfg.serve.name, cfg.serve.version)
  });
  return items[0];
}
async function writeModelRepository(oss, cfg) {
  let changed = 0;
  for (const o of (0,_triton_model_config_js__WEBPACK_IMPORTED_MODULE_8__/* .modelRepositoryObjects */ .Qe)(cfg)) {
    const same = o.body === "" ? await oss.head(o.key) !== void 0 : await oss.getText(o.key) === o.body;
    if (same) continue;
    await oss.putObject(o.key, Buffer.from(o.body));
    changed++;
  }
  return changed;
}
async function checkConverted(oss, cfg) {
  const ini = `${(0,_config_layout_js__WEBPACK_IMPORTED_MODULE_9__/* .ftCheckpointPrefix */ .xo)(cfg)}config.ini`;
  if (!await oss.head(ini)) {
    throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .PipelineError */ .zC(
      "DEPLOY_NOT_CONVERTED",
      `there is no converted checkpoint at ${(0,_config_layout_js__WEBPACK_IMPORTED_MODULE_9__/* .ossUri */ .uf)(cfg, (0,_config_layout_js__WEBPACK_IMPORTED_MODULE_9__/* .ftCheckpointPrefix */ .xo)(cfg))} (no config.ini)`,
      "Run the convert stage for this version first."
    );
  }
}
function makeDeployStage(deps = _k8s_cluster_js__WEBPACK_IMPORTED_MODULE_4__/* .defaultDeps */ .m) {
  return {
    name: "deploy",
    async plan(ctx) {
      const cfg = ctx.config;
      const existing = await findServing(deps.kube(ctx).api, cfg);
      if (existing && (0,_k8s_diagnose_js__WEBPACK_IMPORTED_MODULE_5__/* .rolloutComplete */ .Z8)(existing) && (0,_k8s_serving_js__WEBPACK_IMPORTED_MODULE_6__/* .servingSpecDiff */ .zI)(existing, servingSpec(cfg)).length === 0) {
        return {
          action: "skip",
          reason: `serving ${cfg.serve.name} version ${cfg.serve.version} is available with the same spec`
        };
      }
      return {
        action: "run",
        reason: `would write ${(0,_config_layout_js__WEBPACK_IMPORTED_MODULE_9__/* .ossUri */ .uf)(cfg, (0,_config_layout_js__WEBPACK_IMPORTED_MODULE_9__/* .tritonConfigKey */ .iQ)(cfg))} and run arena serve triton ${cfg.serve.name} version ${cfg.serve.version} (${cfg.serve.gpus} GPU \xD7 ${cfg.serve.replicas})`
      };
    },
    async run(ctx) {
      const cfg = ctx.config;
      const ns = cfg.cluster.namespace;
      const { name, version } = cfg.serve;
      const oss = deps.oss(ctx);
      const { api } = deps.kube(ctx);
      await checkConverted(oss, cfg);
      const changed = await writeModelRepository(oss, cfg);
      ctx.log.info(
        `Model repository ${(0,_config_layout_js__WEBPACK_IMPORTED_MODULE_9__/* .ossUri */ .uf)(cfg, (0,_config_layout_js__WEBPACK_IMPORTED_MODULE_9__/* .tritonRepoPrefix */ .dj)(cfg))}: ${changed === 0 ? "unchanged" : `${changed} object(s) written`}`
      );
      const outputs = {
        "serving-name": name,
        "serving-version": version,
        "model-repository": (0,_config_layout_js__WEBPACK_IMPORTED_MODULE_9__/* .ossUri */ .uf)(cfg, (0,_config_layout_js__WEBPACK_IMPORTED_MODULE_9__/* .tritonRepoPrefix */ .dj)(cfg))
      };
      ctx.state.serving = { namespace: ns, name, version };
      const want = servingSpec(cfg);
      let existing = await findServing(api, cfg);
      if (existing) {
        const diff = (0,_k8s_serving_js__WEBPACK_IMPORTED_MODULE_6__/* .servingSpecDiff */ .zI)(existing, want);
        if (diff.length === 0 && (0,_k8s_diagnose_js__WEBPACK_IMPORTED_MODULE_5__/* .rolloutComplete */ .Z8)(existing) && changed === 0) {
          return {
            status: "skipped",
            summary: `serving ${name} version ${version} is already available with the same spec`,
            details: { serving: name, version },
            outputs
          };
        }
        if (diff.length > 0 || changed > 0) {
          ctx.log.info(
            `Serving ${name} version ${version} exists but differs (${[...diff, ...changed ? ["model repository changed"] : []].join("; ")}); replacing it`
          );
          await (0,_arena_cleanup_js__WEBPACK_IMPORTED_MODULE_3__/* .deleteServingVersion */ .iX)(deps.arena, ctx.env, ns, name, version);
          existing = void 0;
        } else ctx.log.info(`Serving ${name} version ${version} exists and is rolling out; waiting for it`);
      }
      const record = { kind: "serving", namespace: ns, name, version };
      const started = Date.now();
      if (!existing) {
        const args = (0,_arena_args_js__WEBPACK_IMPORTED_MODULE_2__/* .serveTritonArgs */ .B7)({
          name,
          version,
          namespace: ns,
          image: cfg.serve.image,
          gpus: cfg.serve.gpus,
          replicas: cfg.serve.replicas,
          pvc: cfg.cluster.pvcName,
          mountPath: cfg.cluster.mountPath,
          modelRepository: want.modelRepository,
          labels: _k8s_types_js__WEBPACK_IMPORTED_MODULE_7__/* .MANAGED_BY */ .Kf
        });
        ctx.log.info(`arena ${args.map((a) => /\s/.test(a) ? JSON.stringify(a) : a).join(" ")}`);
        const res = await deps.arena(args, { env: ctx.env });
        if (res.exitCode !== 0) throw (0,_arena_exec_js__WEBPACK_IMPORTED_MODULE_1__/* .arenaError */ .Gh)(args, res, `serve ${name} version ${version}`);
        ctx.cleanup.add(record);
        ctx.log.info(`arena serve triton ${name} version ${version} submitted`);
      }
      try {
        const res = await ctx.log.group(
          `Triton log (${name} ${version})`,
          () => (0,_k8s_serving_js__WEBPACK_IMPORTED_MODULE_6__/* .waitForRollout */ .gj)({
            api,
            namespace: ns,
            name,
            version,
            timeoutMs: cfg.serve.timeoutSeconds * 1e3,
            signal: ctx.signal,
            timers: deps.timers,
            onLogLine: (l) => ctx.log.info(l),
            onReconnect: (why) => ctx.log.debug(`rollout watch: ${why}`)
          })
        );
        deps.onNoticed?.("rollout", res.deployment, res.noticedAt);
      } catch (err) {
        await rollback(deps, ctx, record);
        if (ctx.signal.aborted)
          throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .PipelineError */ .zC(
            "CANCELLED",
            `cancelled while serving ${name} version ${version}; deleted it`,
            "Run again to deploy.",
            { cause: err }
          );
        if (err instanceof _k8s_serving_js__WEBPACK_IMPORTED_MODULE_6__/* .RolloutProblem */ .le) {
          const d = err.diagnosis;
          throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .PipelineError */ .zC(`DEPLOY_${d.code}`, `${d.message}; deleted serving version ${version}`, d.hint, {
            details: d.details
          });
        }
        throw err;
      }
      if (!cfg.stages.includes("smoke")) ctx.cleanup.remove(record);
      const readyMs = Date.now() - started;
      ctx.state.serveReadyMs = readyMs;
      const summary = `serving ${name} version ${version} available in ${(readyMs / 1e3).toFixed(1)} s`;
      ctx.log.info(summary);
      return {
        status: "done",
        summary,
        details: { serving: name, version, "ready-s": Number((readyMs / 1e3).toFixed(1)) },
        outputs
      };
    }
  };
}
async function rollback(deps, ctx, record) {
  try {
    await (0,_arena_cleanup_js__WEBPACK_IMPORTED_MODULE_3__/* .deleteServingVersion */ .iX)(deps.arena, ctx.env, record.namespace, record.name, record.version);
    ctx.log.warning(`Rolled back: deleted serving ${record.name} version ${record.version}`);
    ctx.cleanup.remove(record);
  } catch (e) {
    ctx.log.warning(`Could not delete serving ${record.name} version ${record.version}: ${e.message}`);
  }
}
const deployStage = makeDeployStage();



/***/ }),

/***/ 28135:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  loadModelTokenizer: () => (/* binding */ loadModelTokenizer),
  makeSmokeStage: () => (/* binding */ makeSmokeStage),
  retireOldVersions: () => (/* binding */ retireOldVersions),
  smokeStage: () => (/* binding */ smokeStage),
  smokeTable: () => (/* binding */ smokeTable)
});

// EXTERNAL MODULE: ./.tmp/ncc-src/src/config/layout.js
var layout = __webpack_require__(21095);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/errors.js
var errors = __webpack_require__(45059);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/arena/cleanup.js
var cleanup = __webpack_require__(17422);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/k8s/cluster.js + 2 modules
var cluster = __webpack_require__(73571);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/k8s/serving.js
var serving = __webpack_require__(88837);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/k8s/types.js
var types = __webpack_require__(54724);
// EXTERNAL MODULE: external "node:http"
var external_node_http_ = __webpack_require__(37067);
;// CONCATENATED MODULE: ./.tmp/ncc-src/src/triton/client.js

class TritonHttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
    this.name = "TritonHttpError";
  }
  status;
}
class TritonClient {
  constructor(port, opts = {}) {
    this.port = port;
    this.opts = opts;
  }
  port;
  opts;
  agent = new external_node_http_.Agent({ keepAlive: true, maxSockets: 4 });
  reconnects = 0;
  close() {
    this.agent.destroy();
  }
  once(method, path, body) {
    const payload = body === void 0 ? void 0 : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = external_node_http_.request(
        {
          host: "127.0.0.1",
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers: payload ? { "content-type": "application/json", "content-length": payload.length } : {}
        },
        (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("error", reject);
          res.on("aborted", () => reject(Object.assign(new Error("response aborted"), { code: "ECONNRESET" })));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        }
      );
      req.setTimeout(
        this.opts.timeoutMs ?? 6e4,
        () => req.destroy(Object.assign(new Error("request timed out"), { code: "ETIMEDOUT" }))
      );
      req.on("error", reject);
      req.end(payload);
    });
  }
  async request(method, path, body) {
    try {
      return await this.once(method, path, body);
    } catch (err) {
      const code = err.code;
      if (code === "ETIMEDOUT") throw err;
      this.reconnects++;
      this.opts.onReconnect?.(`${method} ${path}: ${err.message}`);
      return this.once(method, path, body);
    }
  }
  async json(method, path, body) {
    const res = await this.request(method, path, body);
    if (res.status !== 200) {
      let msg = res.body;
      try {
        msg = JSON.parse(res.body).error ?? res.body;
      } catch {
      }
      throw new TritonHttpError(res.status, `${method} ${path}: ${res.status} ${msg}`.trim());
    }
    return JSON.parse(res.body);
  }
  async serverReady() {
    return (await this.request("GET", "/v2/health/ready")).status === 200;
  }
  async modelReady(model) {
    return (await this.request("GET", `/v2/models/${encodeURIComponent(model)}/ready`)).status === 200;
  }
  metadata(model) {
    return this.json("GET", `/v2/models/${encodeURIComponent(model)}`);
  }
  infer(model, inputs, outputs) {
    return this.json("POST", `/v2/models/${encodeURIComponent(model)}/infer`, {
      inputs,
      outputs: outputs.map((name) => ({ name }))
    });
  }
}


// EXTERNAL MODULE: ./node_modules/@huggingface/tokenizers/dist/tokenizers.mjs
var tokenizers = __webpack_require__(87554);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/triton/model-config.js + 1 modules
var model_config = __webpack_require__(90237);
;// CONCATENATED MODULE: ./.tmp/ncc-src/src/triton/generate.js


function loadTokenizer(tokenizerJson, tokenizerConfig = {}) {
  const tok = new tokenizers/* Tokenizer */._F(tokenizerJson, tokenizerConfig);
  return {
    encode: (text) => tok.encode(text, { add_special_tokens: false }).ids,
    decode: (ids) => tok.decode([...ids], { skip_special_tokens: true })
  };
}
function inferInputs(ids, outputLength) {
  return [
    { name: "input_ids", datatype: "UINT32", shape: [1, ids.length], data: ids },
    { name: "input_lengths", datatype: "UINT32", shape: [1, 1], data: [ids.length] },
    { name: "request_output_len", datatype: "UINT32", shape: [1, 1], data: [outputLength] },
    { name: "runtime_top_k", datatype: "UINT32", shape: [1, 1], data: [1] },
    { name: "beam_width", datatype: "UINT32", shape: [1, 1], data: [1] }
  ];
}
const INFER_OUTPUTS = ["output_ids", "sequence_length"];
function generatedIds(outputs, promptLength) {
  const ids = outputs.find((o) => o.name === "output_ids");
  const lens = outputs.find((o) => o.name === "sequence_length");
  if (!ids || !lens) throw new Error("the response has no output_ids or sequence_length");
  const width = ids.shape[ids.shape.length - 1] ?? ids.data.length;
  const seqLen = Math.min(Number(lens.data[0]), width);
  return ids.data.slice(0, seqLen).slice(promptLength).map(Number);
}
function checkExpectation(p, completion) {
  if (p.expect !== void 0) {
    return new RegExp(p.expect).test(completion) ? void 0 : `does not match /${p.expect}/`;
  }
  if (completion.trim() === "") return "is empty";
  if (completion.includes("\uFFFD")) return "contains U+FFFD (bytes that do not decode: wrong weights or tokenizer?)";
  return void 0;
}
function metadataMismatches(meta, modelName) {
  const out = [];
  if (meta.name !== modelName) out.push(`model name is "${meta.name}", expected "${modelName}"`);
  const check = (kind, declared, want) => {
    for (const t of want) {
      if (t.optional) continue;
      const got = declared?.find((d) => d.name === t.name);
      if (!got) out.push(`${kind} ${t.name} is missing`);
      else if (got.datatype !== t.datatype) out.push(`${kind} ${t.name} is ${got.datatype}, expected ${t.datatype}`);
    }
  };
  check("input", meta.inputs, model_config/* MODEL_INPUTS */.GT);
  check(
    "output",
    meta.outputs,
    model_config/* MODEL_OUTPUTS */.R1.filter((o) => o.name === "output_ids" || o.name === "sequence_length")
  );
  return out;
}
function percentile(samples, p) {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(p / 100 * sorted.length));
  return sorted[rank - 1];
}


// EXTERNAL MODULE: ./.tmp/ncc-src/src/stages/deploy.js
var deploy = __webpack_require__(91449);
;// CONCATENATED MODULE: ./.tmp/ncc-src/src/stages/smoke.js









const HTTP_PORT = 8e3;
async function readyPod(api, cfg) {
  const { items } = await api.list(types/* POD */.Sm, cfg.cluster.namespace, {
    labelSelector: (0,serving/* servingSelector */.UA)(cfg.serve.name, cfg.serve.version)
  });
  const pod = items.find(serving/* isPodReady */.Ft);
  if (!pod) {
    throw new errors/* PipelineError */.zC(
      "SMOKE_NO_READY_POD",
      `serving ${cfg.serve.name} version ${cfg.serve.version} has no ready pod`,
      "Run the deploy stage first; check the Deployment\u2019s pods."
    );
  }
  return pod.metadata.name;
}
function commitOf(ctx) {
  const c = ctx.state.commit ?? (/^[0-9a-f]{40}$/.test(ctx.config.model.revision) ? ctx.config.model.revision : void 0);
  if (!c)
    throw new errors/* PipelineError */.zC(
      "SMOKE_COMMIT_UNKNOWN",
      "the HF commit (for the tokenizer) is unknown",
      "Run the sync stage in the same run, or pass the revision as a full commit sha."
    );
  return c;
}
async function loadModelTokenizer(oss, cfg, commit) {
  const prefix = (0,layout/* hfPrefix */.ne)(cfg, commit);
  const json = await oss.getText(`${prefix}tokenizer.json`);
  if (json === void 0)
    throw new errors/* PipelineError */.zC(
      "SMOKE_NO_TOKENIZER",
      `the synced model has no tokenizer.json at ${prefix}`,
      "Include tokenizer.json in the synced files (hf-include)."
    );
  const conf = await oss.getText(`${prefix}tokenizer_config.json`);
  return loadTokenizer(JSON.parse(json), conf ? JSON.parse(conf) : {});
}
function smokeTable(samples) {
  const cell = (s) => s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ").slice(0, 200);
  return [
    "| prompt | completion | latency |",
    "| --- | --- | ---: |",
    ...samples.map((s) => `| ${cell(s.prompt)} | ${cell(s.completion)} | ${Math.round(s.latencyMs)} ms |`)
  ].join("\n");
}
async function runSmoke(ctx, client, codec) {
  const cfg = ctx.config;
  const model = cfg.serve.modelName;
  if (!await client.serverReady())
    throw new errors/* PipelineError */.zC(
      "SMOKE_SERVER_NOT_READY",
      "Triton answers /v2/health/ready with not ready",
      "Read the Triton log of the deploy stage."
    );
  if (!await client.modelReady(model))
    throw new errors/* PipelineError */.zC(
      "SMOKE_MODEL_NOT_READY",
      `model ${model} is not ready`,
      "Read the Triton log of the deploy stage for the model\u2019s UNAVAILABLE reason."
    );
  const mismatches = metadataMismatches(await client.metadata(model), model);
  if (mismatches.length)
    throw new errors/* PipelineError */.zC(
      "SMOKE_METADATA_MISMATCH",
      `model ${model}'s metadata differs from config.pbtxt: ${mismatches.join("; ")}`,
      "Check the config.pbtxt in the model repository.",
      { details: mismatches }
    );
  const samples = [];
  const latencies = [];
  const generate = async (prompt) => {
    const ids = codec.encode(prompt);
    if (ids.length === 0)
      throw new errors/* PipelineError */.zC(
        "SMOKE_EMPTY_PROMPT",
        `the prompt "${prompt}" tokenizes to nothing`,
        "Use a non-empty prompt."
      );
    const t0 = performance.now();
    const res = await client.infer(model, inferInputs(ids, cfg.smoke.outputLength), INFER_OUTPUTS);
    const latencyMs = performance.now() - t0;
    latencies.push(latencyMs);
    return { completion: codec.decode(generatedIds(res.outputs, ids.length)), latencyMs };
  };
  const total = Math.max(cfg.smoke.requests, cfg.smoke.prompts.length);
  for (let i = 0; i < total; i++) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const p = cfg.smoke.prompts[i % cfg.smoke.prompts.length];
    const { completion, latencyMs } = await generate(p.text);
    if (i < cfg.smoke.prompts.length) {
      samples.push({ prompt: p.text, completion, latencyMs });
      ctx.log.info(`"${p.text}" \u2192 "${completion}" (${Math.round(latencyMs)} ms)`);
      const why = checkExpectation(p, completion);
      if (why)
        throw new errors/* PipelineError */.zC(
          "SMOKE_EXPECTATION_FAILED",
          `the completion of "${p.text}" ${why}: "${completion}"`,
          "The model answers wrongly: check the conversion (tensor-parallel, data type) and the tokenizer; or fix the expectation.",
          { details: [smokeTable(samples)] }
        );
    }
  }
  return { samples, latencies };
}
async function retireOldVersions(api, deps, ctx) {
  const cfg = ctx.config;
  const { items } = await api.list(types/* DEPLOYMENT */.uH, cfg.cluster.namespace, {
    labelSelector: (0,serving/* servingSelector */.UA)(cfg.serve.name)
  });
  const others = items.filter(
    (d) => d.metadata.labels?.servingName === cfg.serve.name && d.metadata.labels?.servingVersion !== cfg.serve.version
  ).sort(
    (a, b) => String(b.metadata.creationTimestamp ?? "").localeCompare(String(a.metadata.creationTimestamp ?? ""))
  );
  const keepOthers = Math.max(0, cfg.keepVersions - 1);
  const retired = [];
  for (const d of others.slice(keepOthers)) {
    const v = d.metadata.labels.servingVersion;
    await (0,cleanup/* deleteServingVersion */.iX)(deps.arena, ctx.env, cfg.cluster.namespace, cfg.serve.name, v);
    ctx.log.info(`Retired serving ${cfg.serve.name} version ${v} (keep-versions ${cfg.keepVersions})`);
    retired.push(v);
  }
  return retired;
}
function makeSmokeStage(deps = cluster/* defaultDeps */.m) {
  return {
    name: "smoke",
    async plan(ctx) {
      const cfg = ctx.config;
      return {
        action: "run",
        reason: `would send ${Math.max(cfg.smoke.requests, cfg.smoke.prompts.length)} request(s) to ${cfg.serve.name} version ${cfg.serve.version} (budget p95 \u2264 ${cfg.smoke.latencyBudgetMs} ms)`
      };
    },
    async run(ctx) {
      const cfg = ctx.config;
      const { api, kc } = deps.kube(ctx);
      const record = {
        kind: "serving",
        namespace: cfg.cluster.namespace,
        name: cfg.serve.name,
        version: cfg.serve.version
      };
      let forward;
      let client;
      const timeout = AbortSignal.timeout(cfg.smoke.timeoutSeconds * 1e3);
      let result;
      try {
        const codec = await loadModelTokenizer(deps.oss(ctx), cfg, commitOf(ctx));
        const pod = await readyPod(api, cfg);
        forward = await deps.forwardPort(kc, cfg.cluster.namespace, pod, HTTP_PORT);
        ctx.log.info(`Port-forward 127.0.0.1:${forward.port} \u2192 ${pod}:${HTTP_PORT}`);
        client = new TritonClient(forward.port, {
          onReconnect: (why) => ctx.log.warning(`Port-forward connection lost (${why}); reconnected`),
          timeoutMs: cfg.smoke.timeoutSeconds * 1e3
        });
        const c = client;
        result = await Promise.race([
          runSmoke(ctx, c, codec),
          new Promise(
            (_r, reject) => timeout.addEventListener(
              "abort",
              () => reject(
                new errors/* PipelineError */.zC(
                  "SMOKE_TIMEOUT",
                  `the smoke test took longer than ${cfg.smoke.timeoutSeconds} s`,
                  "Raise smoke-timeout or lower smoke-requests."
                )
              ),
              { once: true }
            )
          )
        ]);
        const p502 = percentile(result.latencies, 50);
        const p952 = percentile(result.latencies, 95);
        ctx.state.smokeLatencies = result.latencies;
        if (p952 > cfg.smoke.latencyBudgetMs) {
          throw new errors/* PipelineError */.zC(
            "SMOKE_LATENCY_OVER_BUDGET",
            `p95 latency ${Math.round(p952)} ms (p50 ${Math.round(p502)} ms over ${result.latencies.length} requests) is over the budget of ${cfg.smoke.latencyBudgetMs} ms`,
            "Use more GPUs or a smaller output length, or raise smoke-latency-budget.",
            { details: [smokeTable(result.samples)] }
          );
        }
      } catch (err) {
        await (0,deploy.rollback)(deps, ctx, record);
        if (ctx.signal.aborted)
          throw new errors/* PipelineError */.zC(
            "CANCELLED",
            `cancelled during the smoke test; deleted serving version ${cfg.serve.version}`,
            "Run again.",
            { cause: err }
          );
        if (err instanceof errors/* PipelineError */.zC) {
          throw new errors/* PipelineError */.zC(
            err.code,
            `${err.message}; deleted serving version ${cfg.serve.version}, the previous versions keep serving`,
            err.hint,
            { cause: err, details: err.details }
          );
        }
        throw new errors/* PipelineError */.zC(
          "SMOKE_FAILED",
          `smoke test failed: ${err.message}; deleted serving version ${cfg.serve.version}`,
          "Read the log above.",
          { cause: err }
        );
      } finally {
        client?.close();
        await forward?.close();
      }
      ctx.cleanup.remove(record);
      const retired = await retireOldVersions(api, deps, ctx);
      const p50 = Math.round(percentile(result.latencies, 50));
      const p95 = Math.round(percentile(result.latencies, 95));
      const summary = `${result.samples.length} prompt(s) answered as expected; ${result.latencies.length} requests p50 ${p50} ms, p95 ${p95} ms (budget ${cfg.smoke.latencyBudgetMs} ms)${retired.length ? `; retired ${retired.join(", ")}` : ""}`;
      return {
        status: "done",
        summary,
        details: {
          serving: cfg.serve.name,
          version: cfg.serve.version,
          "p50-ms": p50,
          "p95-ms": p95,
          requests: result.latencies.length,
          reconnects: client?.reconnects ?? 0
        },
        outputs: {
          "serving-name": cfg.serve.name,
          "serving-version": cfg.serve.version,
          completion: result.samples[0]?.completion ?? "",
          "latency-p50-ms": String(p50),
          "latency-p95-ms": String(p95)
        },
        markdown: `### Smoke test: ${cfg.serve.name} ${cfg.serve.version}

${smokeTable(result.samples)}

p50 ${p50} ms \xB7 p95 ${p95} ms over ${result.latencies.length} requests (budget ${cfg.smoke.latencyBudgetMs} ms)
`
      };
    }
  };
}
const smokeStage = makeSmokeStage();



/***/ }),

/***/ 90237:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  GT: () => (/* binding */ MODEL_INPUTS),
  R1: () => (/* binding */ MODEL_OUTPUTS),
  Qe: () => (/* binding */ modelRepositoryObjects),
  aB: () => (/* binding */ modelRepositoryPodPath)
});

// UNUSED EXPORTS: buildModelConfig, checkpointPodPath

// EXTERNAL MODULE: ./.tmp/ncc-src/src/config/layout.js
var layout = __webpack_require__(21095);
;// CONCATENATED MODULE: ./.tmp/ncc-src/src/triton/pbtxt.js
class PbEnum {
  constructor(name) {
    this.name = name;
  }
  name;
}
function pbEnum(name) {
  return new PbEnum(name);
}
function scalar(v) {
  if (v instanceof PbEnum) return v.name;
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}
function writePbtxt(msg, indent = "") {
  const out = [];
  for (const [field, values] of Object.entries(msg)) {
    const messages = values.filter((v) => isMessage(v));
    if (messages.length > 1 || messages.length === 1 && REPEATED_AS_LIST.has(field)) {
      const body = messages.map((m) => `${indent}  {
${writePbtxt(m, indent + "    ")}${indent}  }`).join(",\n");
      out.push(`${indent}${field} [
${body}
${indent}]
`);
      continue;
    }
    if (LIST_SCALARS.has(field) && messages.length === 0) {
      out.push(
        `${indent}${field}: [ ${values.map((v) => scalar(v)).join(", ")} ]
`.replace(
          "[  ]",
          "[ ]"
        )
      );
      continue;
    }
    for (const v of values) {
      if (isMessage(v)) out.push(`${indent}${field} {
${writePbtxt(v, indent + "  ")}${indent}}
`);
      else out.push(`${indent}${field}: ${scalar(v)}
`);
    }
  }
  return out.join("");
}
const REPEATED_AS_LIST = /* @__PURE__ */ new Set(["input", "output", "instance_group"]);
const LIST_SCALARS = /* @__PURE__ */ new Set(["dims", "shape"]);
function isMessage(v) {
  return typeof v === "object" && !(v instanceof PbEnum);
}
function parsePbtxt(text) {
  const toks = tokenize(text);
  let i = 0;
  const peek = () => toks[i];
  const next = () => {
    const t = toks[i++];
    if (t === void 0) throw new Error("config.pbtxt: unexpected end of input");
    return t;
  };
  const expect = (s) => {
    const t = next();
    if (t !== s) throw new Error(`config.pbtxt: expected "${s}", got "${t}"`);
  };
  const value = () => {
    const t = next();
    if (t === "{" || t === "<") return message(t === "{" ? "}" : ">");
    if (t.startsWith('"') || t.startsWith("'"))
      return JSON.parse(t.startsWith("'") ? `"${t.slice(1, -1).replace(/"/g, '\\"')}"` : t);
    if (/^-?(\d|\.\d)/.test(t)) return Number(t);
    if (/^(true|True)$/.test(t)) return true;
    if (/^(false|False)$/.test(t)) return false;
    return new PbEnum(t);
  };
  const message = (close) => {
    const msg = {};
    while (peek() !== void 0 && peek() !== close) {
      const field = next();
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field)) throw new Error(`config.pbtxt: bad field name "${field}"`);
      if (peek() === ":") next();
      const add = (v) => (msg[field] ??= []).push(v);
      if (peek() === "[") {
        next();
        msg[field] ??= [];
        while (peek() !== "]") {
          add(value());
          if (peek() === ",") next();
        }
        next();
      } else add(value());
      if (peek() === "," || peek() === ";") next();
    }
    if (close !== void 0) expect(close);
    return msg;
  };
  const root = message();
  if (i !== toks.length) throw new Error(`config.pbtxt: unexpected "${toks[i]}"`);
  return root;
}
function tokenize(text) {
  const re = /\s+|#[^\n]*|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|([{}[\]<>:,;])|([^\s{}[\]<>:,;"'#]+)/gy;
  const toks = [];
  let m;
  let last = 0;
  while (last < text.length && (m = re.exec(text)) !== null) {
    last = re.lastIndex;
    const t = m[1] ?? m[2] ?? m[3];
    if (t !== void 0) toks.push(t);
  }
  if (last < text.length) throw new Error(`config.pbtxt: cannot read at offset ${last}`);
  return toks;
}


;// CONCATENATED MODULE: ./.tmp/ncc-src/src/triton/model-config.js


const MODEL_INPUTS = [
  { name: "input_ids", datatype: "UINT32", dims: [-1] },
  { name: "input_lengths", datatype: "UINT32", dims: [1], reshape: [] },
  { name: "request_output_len", datatype: "UINT32", dims: [-1] },
  { name: "runtime_top_k", datatype: "UINT32", dims: [1], optional: true, reshape: [] },
  { name: "runtime_top_p", datatype: "FP32", dims: [1], optional: true, reshape: [] },
  { name: "temperature", datatype: "FP32", dims: [1], optional: true, reshape: [] },
  { name: "repetition_penalty", datatype: "FP32", dims: [1], optional: true, reshape: [] },
  { name: "random_seed", datatype: "UINT64", dims: [1], optional: true, reshape: [] },
  { name: "beam_width", datatype: "UINT32", dims: [1], optional: true, reshape: [] },
  { name: "start_id", datatype: "UINT32", dims: [1], optional: true, reshape: [] },
  { name: "end_id", datatype: "UINT32", dims: [1], optional: true, reshape: [] }
];
const MODEL_OUTPUTS = [
  { name: "output_ids", datatype: "UINT32", dims: [-1, -1] },
  { name: "sequence_length", datatype: "UINT32", dims: [-1] },
  { name: "cum_log_probs", datatype: "FP32", dims: [-1] },
  { name: "output_log_probs", datatype: "FP32", dims: [-1, -1] }
];
function tensor(t) {
  const m = { name: [t.name], data_type: [pbEnum(`TYPE_${t.datatype}`)], dims: [...t.dims] };
  if (t.reshape) m.reshape = [{ shape: [...t.reshape] }];
  if (t.optional) m.optional = [true];
  return m;
}
const param = (key, value) => ({
  key: [key],
  value: [{ string_value: [String(value)] }]
});
function checkpointPodPath(cfg) {
  return (0,layout/* podPath */.HW)(cfg, (0,layout/* ftCheckpointPrefix */.xo)(cfg).replace(/\/$/, "")) + "/";
}
function modelRepositoryPodPath(cfg) {
  return (0,layout/* podPath */.HW)(cfg, (0,layout/* tritonRepoPrefix */.dj)(cfg).replace(/\/$/, ""));
}
function buildModelConfig(cfg) {
  const msg = {
    name: [cfg.serve.modelName],
    backend: ["fastertransformer"],
    default_model_filename: [cfg.model.name],
    max_batch_size: [cfg.serve.maxBatchSize],
    model_transaction_policy: [{ decoupled: [false] }],
    input: MODEL_INPUTS.map(tensor),
    output: MODEL_OUTPUTS.map(tensor),
    instance_group: [{ count: [1], kind: [pbEnum("KIND_CPU")] }],
    parameters: [
      param("tensor_para_size", cfg.convert.tensorParallel),
      param("pipeline_para_size", cfg.serve.pipelineParallel),
      param("data_type", cfg.convert.dataType),
      param("model_type", "GPT"),
      param("model_checkpoint_path", checkpointPodPath(cfg)),
      param("int8_mode", 0),
      param("enable_custom_all_reduce", 0)
    ]
  };
  return `# Written by arena-ft-pipeline for ${cfg.model.repo} version ${cfg.model.version}.
${writePbtxt(msg)}`;
}
function modelRepositoryObjects(cfg) {
  const modelDir = `${(0,layout/* tritonRepoPrefix */.dj)(cfg)}${cfg.serve.modelName}/`;
  return [
    { key: `${modelDir}1/`, body: "" },
    { key: (0,layout/* tritonConfigKey */.iQ)(cfg), body: buildModelConfig(cfg) }
  ];
}



/***/ })

};
