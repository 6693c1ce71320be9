export const id = 231;
export const ids = [231];
export const modules = {

/***/ 75231:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  cleanupPytorchJob: () => (/* binding */ cleanupPytorchJob),
  cleanupServing: () => (/* binding */ cleanupServing),
  deleteServingVersion: () => (/* binding */ deleteServingVersion),
  deleteTrainingJob: () => (/* binding */ deleteTrainingJob)
});

// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: ./node_modules/@actions/exec/lib/exec.js + 3 modules
var exec = __webpack_require__(81260);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/errors.js
var errors = __webpack_require__(45059);
;// CONCATENATED MODULE: ./.tmp/ncc-src/src/arena/exec.js




async function findArena(env) {
  for (const dir of (env.PATH ?? "").split(external_node_path_.delimiter)) {
    if (!dir) continue;
    const file = external_node_path_.join(dir, "arena");
    try {
      await (0,promises_.access)(file, promises_.constants.X_OK);
      return file;
    } catch {
    }
  }
  return "arena";
}
const runArena = async (args, opts = {}) => {
  let stdout = "";
  let stderr = "";
  const env = Object.fromEntries(
    Object.entries(opts.env ?? process.env).filter((e) => e[1] !== void 0)
  );
  try {
    const exitCode = await exec/* exec */.m(await findArena(env), [...args], {
      env,
      silent: true,
      ignoreReturnCode: true,
      listeners: {
        stdout: (b) => stdout += b.toString(),
        stderr: (b) => stderr += b.toString()
      }
    });
    return { exitCode, stdout, stderr };
  } catch (err) {
    throw new errors/* PipelineError */.zC(
      "ARENA_NOT_FOUND",
      `could not run arena: ${err.message}`,
      "Run the setup stage first so that arena is on the PATH.",
      { cause: err }
    );
  }
};
async function arenaOrThrow(run, args, what, env) {
  const res = await run(args, { env });
  if (res.exitCode !== 0) throw arenaError(args, res, what);
  return res;
}
function arenaError(args, res, what) {
  const lines = (res.stderr.trim() || res.stdout.trim()).split("\n").filter((l) => !/^\s+at /.test(l)).slice(-20);
  return new errors/* PipelineError */.zC(
    "ARENA_FAILED",
    `arena ${args.slice(0, 2).join(" ")} (${what}) exited with ${res.exitCode}: ${lines[lines.length - 1] ?? ""}`,
    "Read the arena output below; check the kubeconfig context, the namespace and that the Arena operators are installed.",
    { details: lines }
  );
}


;// CONCATENATED MODULE: ./.tmp/ncc-src/src/arena/args.js

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
function checkDns1123Label(what, value) {
  if (value.length > 63 || !DNS1123_LABEL.test(value)) {
    throw new errors/* PipelineError */.zC(
      "INVALID_NAME",
      `${what} "${value}" is not a valid Kubernetes name (DNS-1123 label)`,
      'Use at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit.'
    );
  }
  return value;
}
function positive(what, n, min = 1) {
  if (!Number.isInteger(n) || n < min) {
    throw new PipelineError(
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
    throw new PipelineError(
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
  if (v.trim() === "") throw new PipelineError("INVALID_VALUE", `${what} is empty`, `Set ${what}.`);
  return v;
}


;// CONCATENATED MODULE: ./.tmp/ncc-src/src/arena/cleanup.js


async function deleteServingVersion(run, env, namespace, name, version) {
  const args = serveDeleteArgs(name, version, namespace);
  const res = await run(args, { env });
  if (res.exitCode === 0) return true;
  if (/not found|no serving job|not exist/i.test(res.stderr + res.stdout)) return false;
  await arenaOrThrow(async () => res, args, `delete serving ${name} version ${version}`);
  return false;
}
async function deleteTrainingJob(run, env, namespace, name) {
  const args = deleteJobArgs(name, namespace);
  const res = await run(args, { env });
  if (res.exitCode === 0) return true;
  if (/not found|not exist|failed to find/i.test(res.stderr + res.stdout)) return false;
  await arenaOrThrow(async () => res, args, `delete job ${name}`);
  return false;
}
const cleanupServing = async (record, ctx) => {
  await deleteServingVersion(runArena, ctx.env, record.namespace, record.name, record.version);
};
const cleanupPytorchJob = async (record, ctx) => {
  await deleteTrainingJob(runArena, ctx.env, record.namespace, record.name);
};



/***/ })

};
