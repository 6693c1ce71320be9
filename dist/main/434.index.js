export const id = 434;
export const ids = [434];
export const modules = {

/***/ 12434:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  createSetupStage: () => (/* binding */ createSetupStage),
  setupStage: () => (/* binding */ setupStage)
});

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(48161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 8 modules
var core = __webpack_require__(46058);
// EXTERNAL MODULE: ./node_modules/@actions/tool-cache/lib/tool-cache.js + 2 modules
var tool_cache = __webpack_require__(59805);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/errors.js
var errors = __webpack_require__(45059);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/kubeconfig/parse.js
var parse = __webpack_require__(83391);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
;// CONCATENATED MODULE: ./.tmp/ncc-src/src/kubeconfig/write.js



async function writeKubeconfig(yaml, dir) {
  const file = external_node_path_.join(dir, `arena-ft-kubeconfig-${(0,external_node_crypto_.randomBytes)(6).toString("hex")}.yaml`);
  await (0,promises_.writeFile)(file, yaml, { mode: 384, flag: "wx" });
  return file;
}
async function removeKubeconfig(file) {
  if (!path.basename(file).startsWith("arena-ft-kubeconfig-")) return false;
  await rm(file, { force: true });
  return true;
}


// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(57075);
// EXTERNAL MODULE: external "node:stream/promises"
var external_node_stream_promises_ = __webpack_require__(46466);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/util/retry.js
var retry = __webpack_require__(29481);
;// CONCATENATED MODULE: ./.tmp/ncc-src/src/tools/download.js







class HttpStatusError extends Error {
  constructor(status, url) {
    super(`HTTP ${status} from ${url}`);
    this.status = status;
    this.url = url;
    this.name = "HttpStatusError";
  }
  status;
  url;
}
const isRetryable = (e) => !(e instanceof HttpStatusError) || e.status >= 500 || e.status === 429 || e.status === 408;
async function get(url, opts) {
  const signals = [AbortSignal.timeout(opts.timeoutMs ?? 6e5), ...opts.signal ? [opts.signal] : []];
  const res = await fetch(url, {
    redirect: opts.followRedirects ? "follow" : "manual",
    signal: AbortSignal.any(signals)
  });
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel();
    throw new HttpStatusError(res.status, url);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new HttpStatusError(res.status, url);
  }
  return res;
}
function retryOptions(opts) {
  return {
    attempts: opts.attempts ?? 4,
    baseDelayMs: 1e3,
    maxDelayMs: 1e4,
    retryable: isRetryable,
    ...opts.signal ? { signal: opts.signal } : {},
    ...opts.sleep ? { sleep: opts.sleep } : {},
    onRetry: (err, attempt) => opts.onRetry?.(err, attempt)
  };
}
async function downloadFile(url, dir, opts) {
  const file = external_node_path_.join(dir, (0,external_node_crypto_.randomUUID)());
  return (0,retry/* retry */.L5)(async () => {
    const res = await get(url, opts);
    const hash = (0,external_node_crypto_.createHash)("sha256");
    let bytes = 0;
    const tap = new external_node_stream_.Transform({
      transform(chunk, _enc, cb) {
        hash.update(chunk);
        bytes += chunk.length;
        cb(null, chunk);
      }
    });
    try {
      await (0,external_node_stream_promises_.pipeline)(
        external_node_stream_.Readable.fromWeb(res.body),
        tap,
        (0,external_node_fs_.createWriteStream)(file, { mode: 493 })
      );
    } catch (e) {
      await (0,promises_.rm)(file, { force: true });
      throw e;
    }
    return { file, sha256: hash.digest("hex"), bytes };
  }, retryOptions(opts));
}
async function downloadText(url, opts) {
  try {
    return await (0,retry/* retry */.L5)(async () => (await get(url, opts)).text(), retryOptions(opts));
  } catch (e) {
    if (e instanceof HttpStatusError && e.status === 404) return void 0;
    throw e;
  }
}


;// CONCATENATED MODULE: ./.tmp/ncc-src/src/tools/install.js






function toolArch(runnerArch, nodeArch = process.arch) {
  const a = (runnerArch || nodeArch).toLowerCase();
  if (a === "x64" || a === "amd64" || a === "x86_64") return "amd64";
  if (a === "arm64" || a === "aarch64") return "arm64";
  throw new errors/* PipelineError */.zC(
    "TOOL_ARCH_UNSUPPORTED",
    `The runner's architecture "${a}" is not supported`,
    "Run on a Linux x64 or arm64 runner."
  );
}
function expandTemplate(template, version, arch) {
  return template.replace(/\{version\}/g, version).replace(/\{arch\}/g, arch);
}
function parseChecksumFile(text) {
  const m = /^\s*([a-fA-F0-9]{64})\b/.exec(text);
  return m ? m[1].toLowerCase() : void 0;
}
function downloadError(src, url, e) {
  const what = `${src.tool} ${src.version} for linux/${src.arch}`;
  if (e instanceof HttpStatusError && e.status === 404) {
    return new errors/* PipelineError */.zC(
      "TOOL_NOT_FOUND",
      `${what} was not found: HTTP 404 from ${url}`,
      `Check the ${src.tool}-version input (is ${src.version} released for ${src.arch}?) and the ${src.tool}-url template or mirror.`
    );
  }
  if (e instanceof HttpStatusError && e.status >= 300 && e.status < 400) {
    return new errors/* PipelineError */.zC(
      "TOOL_MIRROR_REDIRECT",
      `The mirror answered ${url} with a redirect (HTTP ${e.status}), which is refused for custom mirrors`,
      `Point ${src.tool}-url at the final location of the files.`
    );
  }
  const reason = e instanceof Error ? e.message : String(e);
  return new errors/* PipelineError */.zC(
    "TOOL_DOWNLOAD_FAILED",
    `Downloading ${what} from ${url} failed after retries: ${reason}`,
    `The server or the network failed repeatedly; re-run, or set ${src.tool}-url to a mirror closer to the runner.`,
    { cause: e }
  );
}
async function installTool(src, deps) {
  const cached = tool_cache/* find */.I6(src.tool, src.version, src.arch);
  if (cached && (0,external_node_fs_.existsSync)(external_node_path_.join(cached, src.binDir, src.binary))) {
    deps.log.info(`${src.tool} ${src.version} (${src.arch}) found in the tool cache: ${cached}`);
    deps.addPath(external_node_path_.join(cached, src.binDir));
    return { dir: cached, binary: external_node_path_.join(cached, src.binDir, src.binary), fromCache: true, verified: true };
  }
  const dl = {
    ...deps.download,
    followRedirects: !src.mirror,
    onRetry: (err, attempt) => deps.log.warning(
      `${src.tool}: attempt ${attempt} failed (${err instanceof Error ? err.message : String(err)}); retrying`
    )
  };
  let expected = src.sha256?.toLowerCase();
  if (!expected) {
    const text = await downloadText(`${src.url}.sha256`, dl).catch((e) => {
      throw downloadError(src, `${src.url}.sha256`, e);
    });
    expected = text === void 0 ? void 0 : parseChecksumFile(text);
    if (!expected) {
      deps.log.warning(
        `${src.tool} ${src.version}: no checksum (no ${src.tool}-sha256 input and no ${src.url}.sha256); the download is NOT verified. Set ${src.tool}-sha256 to pin it.`
      );
    }
  }
  const workDir = external_node_path_.join(deps.tempDir, `${src.tool}-${src.version}-${src.arch}-${process.pid}-${Date.now()}`);
  await (0,promises_.mkdir)(workDir, { recursive: true });
  try {
    deps.log.info(`Downloading ${src.tool} ${src.version} (${src.arch}) from ${src.url}`);
    const got = await downloadFile(src.url, workDir, dl).catch((e) => {
      throw downloadError(src, src.url, e);
    });
    if (expected && got.sha256 !== expected) {
      throw new errors/* PipelineError */.zC(
        "TOOL_CHECKSUM_MISMATCH",
        `${src.tool} ${src.version} (${src.arch}) from ${src.url} has sha256 ${got.sha256}, expected ${expected}`,
        `The file is corrupt or not the release you pinned: check ${src.tool}-sha256 and the mirror; nothing was cached.`
      );
    }
    const dir = await src.unpack(got.file, workDir);
    const cachedDir = await tool_cache/* cacheDir */.e8(dir, src.tool, src.version, src.arch);
    deps.addPath(external_node_path_.join(cachedDir, src.binDir));
    deps.log.info(
      `${src.tool} ${src.version} installed in ${cachedDir} (${got.bytes} bytes${expected ? ", sha256 verified" : ""})`
    );
    return {
      dir: cachedDir,
      binary: external_node_path_.join(cachedDir, src.binDir, src.binary),
      fromCache: false,
      verified: expected !== void 0
    };
  } finally {
    await (0,promises_.rm)(workDir, { recursive: true, force: true });
  }
}


;// CONCATENATED MODULE: ./.tmp/ncc-src/src/tools/arena.js





const OFFICIAL_ARENA_TEMPLATE = "https://github.com/kubeflow/arena/releases/download/v{version}/arena-installer-{version}-linux-{arch}.tar.gz";
async function isFile(p) {
  return (0,promises_.stat)(p).then(
    (s) => s.isFile(),
    () => false
  );
}
async function findArenaRoot(extracted) {
  if (await isFile(external_node_path_.join(extracted, "bin", "arena"))) return extracted;
  for (const entry of await (0,promises_.readdir)(extracted, { withFileTypes: true })) {
    if (entry.isDirectory() && await isFile(external_node_path_.join(extracted, entry.name, "bin", "arena"))) {
      return external_node_path_.join(extracted, entry.name);
    }
  }
  return void 0;
}
function arenaSource(spec, arch) {
  const url = expandTemplate(spec.urlTemplate, spec.version, arch);
  return {
    tool: "arena",
    version: spec.version,
    arch,
    url,
    ...spec.sha256 ? { sha256: spec.sha256 } : {},
    mirror: spec.urlTemplate !== OFFICIAL_ARENA_TEMPLATE,
    binDir: "bin",
    binary: "arena",
    async unpack(file, workDir) {
      const out = await tool_cache/* extractTar */.nN(file, external_node_path_.join(workDir, "arena-extract"));
      const root = await findArenaRoot(out);
      if (!root) {
        throw new errors/* PipelineError */.zC(
          "TOOL_ARCHIVE_INVALID",
          `The Arena installer from ${url} has no bin/arena`,
          "Point arena-url at an arena-installer-<version>-linux-<arch>.tar.gz release asset."
        );
      }
      return root;
    }
  };
}


;// CONCATENATED MODULE: ./.tmp/ncc-src/src/tools/kubectl.js



const OFFICIAL_KUBECTL_TEMPLATE = "https://dl.k8s.io/release/v{version}/bin/linux/{arch}/kubectl";
function kubectlSource(spec, arch) {
  return {
    tool: "kubectl",
    version: spec.version,
    arch,
    url: expandTemplate(spec.urlTemplate, spec.version, arch),
    ...spec.sha256 ? { sha256: spec.sha256 } : {},
    mirror: spec.urlTemplate !== OFFICIAL_KUBECTL_TEMPLATE,
    binDir: "",
    binary: "kubectl",
    async unpack(file, workDir) {
      const dir = external_node_path_.join(workDir, "kubectl-dir");
      await (0,promises_.mkdir)(dir, { recursive: true });
      await (0,promises_.rename)(file, external_node_path_.join(dir, "kubectl"));
      await (0,promises_.chmod)(external_node_path_.join(dir, "kubectl"), 493);
      return dir;
    }
  };
}


// EXTERNAL MODULE: ./node_modules/@actions/exec/lib/exec.js + 1 modules
var exec = __webpack_require__(41955);
;// CONCATENATED MODULE: ./.tmp/ncc-src/src/tools/verify.js


async function toolVersionOutput(binary, args, env) {
  const res = await (0,exec/* getExecOutput */.H)(binary, args, {
    silent: true,
    ignoreReturnCode: true,
    ...env ? { env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== void 0)) } : {}
  }).catch((e) => ({ exitCode: -1, stdout: "", stderr: e instanceof Error ? e.message : String(e) }));
  if (res.exitCode !== 0) {
    throw new errors/* PipelineError */.zC(
      "TOOL_BROKEN",
      `${binary} ${args.join(" ")} exited with ${res.exitCode}: ${res.stderr.trim().split("\n").slice(-3).join(" ")}`,
      "The downloaded file is not a working Linux binary for this runner; check the URL template and the architecture."
    );
  }
  return res.stdout;
}
async function verifyKubectl(binary, version) {
  const out = await toolVersionOutput(binary, ["version", "--client", "-o", "json"]);
  let got;
  try {
    got = JSON.parse(out).clientVersion?.gitVersion ?? "";
  } catch {
    got = out.trim().slice(0, 80);
  }
  if (got.replace(/^v/, "") !== version) {
    throw new errors/* PipelineError */.zC(
      "TOOL_VERSION_MISMATCH",
      `kubectl reports version ${JSON.stringify(got)}, expected v${version}`,
      "The mirror serves a different release under this version; fix the mirror or the kubectl-version input."
    );
  }
}
async function verifyArena(binary, version, env) {
  const out = await toolVersionOutput(binary, ["version"], env);
  if (!out.includes(version)) {
    throw new errors/* PipelineError */.zC(
      "TOOL_VERSION_MISMATCH",
      `arena version printed ${JSON.stringify(out.trim().split("\n")[0]?.slice(0, 80) ?? "")}, expected ${version}`,
      "The mirror serves a different release under this version; fix the mirror or the arena-version input."
    );
  }
}


;// CONCATENATED MODULE: ./.tmp/ncc-src/src/stages/setup.js













const actionsHost = {
  addPath: (dir) => core/* addPath */.fM(dir),
  exportVariable: (name, value) => core/* exportVariable */.dN(name, value)
};
function tempDir(env) {
  return env.RUNNER_TEMP || external_node_os_.tmpdir();
}
async function installTools(ctx, deps, host) {
  const arch = toolArch(ctx.env.RUNNER_ARCH);
  const installDeps = {
    log: ctx.log,
    tempDir: tempDir(ctx.env),
    addPath: (dir) => {
      host.addPath(dir);
      ctx.env.PATH = `${dir}${external_node_path_.delimiter}${ctx.env.PATH ?? ""}`;
    },
    download: { ...deps.download, signal: ctx.signal }
  };
  const { kubectl: kspec, arena: aspec } = ctx.config.tools;
  const kubectl = await installTool(kubectlSource(kspec, arch), installDeps);
  await verifyKubectl(kubectl.binary, kspec.version);
  const arena = await installTool(arenaSource(aspec, arch), installDeps);
  await linkArenaCharts(ctx, arena, host);
  await verifyArena(arena.binary, aspec.version, ctx.env);
  return { arch, kubectl, arena };
}
async function linkArenaCharts(ctx, arena, host) {
  const charts = external_node_path_.join(arena.dir, "charts");
  if (!(0,external_node_fs_.existsSync)(charts)) return;
  host.exportVariable("CHARTS_FOLDER", charts);
  ctx.env.CHARTS_FOLDER = charts;
  const home = ctx.env.HOME;
  if (home && (0,external_node_fs_.existsSync)(home) && !(0,external_node_fs_.existsSync)(external_node_path_.join(home, "charts"))) {
    await (0,promises_.symlink)(charts, external_node_path_.join(home, "charts"));
    ctx.log.info(`Linked ${external_node_path_.join(home, "charts")} \u2192 ${charts} (Arena's chart folder)`);
  }
}
async function setUpCluster(ctx, deps, host) {
  const { kubeconfig, context } = ctx.config.cluster;
  let kubeconfigPath;
  if (kubeconfig) {
    const info = (0,parse/* parseKubeconfig */.D)(kubeconfig, context);
    for (const s of info.secrets) ctx.log.secret(s);
    kubeconfigPath = await writeKubeconfig(info.yaml, tempDir(ctx.env));
    ctx.state.kubeconfigPath = kubeconfigPath;
    host.exportVariable("KUBECONFIG", kubeconfigPath);
    ctx.env.KUBECONFIG = kubeconfigPath;
    ctx.log.info(`Wrote the kubeconfig (context "${info.context}") to ${kubeconfigPath} and exported KUBECONFIG`);
  } else if (ctx.env.KUBECONFIG) {
    kubeconfigPath = ctx.env.KUBECONFIG.split(external_node_path_.delimiter)[0];
    if (!(0,external_node_fs_.existsSync)(kubeconfigPath)) {
      throw new errors/* PipelineError */.zC(
        "KUBECONFIG_MISSING",
        `KUBECONFIG points at ${kubeconfigPath}, which does not exist`,
        "Run the step that writes the kubeconfig (e.g. aliyun/ack-set-context) before this one, or pass the kubeconfig input."
      );
    }
    ctx.log.info(`Using the exported KUBECONFIG (${kubeconfigPath})`);
  } else {
    ctx.log.info("No kubeconfig input and no exported KUBECONFIG: tools only, no cluster check.");
    return { text: "no cluster credentials given" };
  }
  const { checkConnectivity } = await Promise.all(/* import() */[__webpack_require__.e(269), __webpack_require__.e(10), __webpack_require__.e(536)]).then(__webpack_require__.bind(__webpack_require__, 71536));
  const version = await checkConnectivity({
    kubeconfigPath,
    ...context ? { context } : {},
    ...deps.connectTimeoutMs ? { timeoutMs: deps.connectTimeoutMs } : {},
    signal: ctx.signal
  });
  ctx.log.info(`Cluster ${version.server} answers: Kubernetes ${version.version} (${version.platform})`);
  return { text: `cluster ${version.version}`, version };
}
function createSetupStage(deps = {}) {
  const host = deps.host ?? actionsHost;
  return {
    name: "setup",
    async run(ctx) {
      const tools = await installTools(ctx, deps, host);
      const cluster = await setUpCluster(ctx, deps, host);
      const how = (i) => i.fromCache ? "cached" : i.verified ? "downloaded, sha256 verified" : "downloaded, NOT verified";
      const { kubectl, arena } = ctx.config.tools;
      return {
        status: "done",
        summary: `kubectl ${kubectl.version} (${how(tools.kubectl)}), arena ${arena.version} (${how(tools.arena)}), ${cluster.text}`,
        details: {
          arch: tools.arch,
          ...cluster.version ? { server: cluster.version.version } : {}
        },
        outputs: ctx.state.kubeconfigPath ? { "kubeconfig-path": String(ctx.state.kubeconfigPath) } : {}
      };
    },
    async plan(ctx) {
      const { kubectl, arena } = ctx.config.tools;
      const arch = toolArch(ctx.env.RUNNER_ARCH);
      const cachedK = tool_cache/* find */.I6("kubectl", kubectl.version, arch);
      const cachedA = tool_cache/* find */.I6("arena", arena.version, arch);
      const parts = [
        `kubectl ${kubectl.version} ${cachedK ? "from the tool cache" : "download"}`,
        `arena ${arena.version} ${cachedA ? "from the tool cache" : "download"}`,
        ctx.config.cluster.kubeconfig ? "write the kubeconfig and check the cluster" : ctx.env.KUBECONFIG ? "check the cluster (exported KUBECONFIG)" : "no cluster check"
      ];
      return { action: "run", reason: parts.join(", ") };
    }
  };
}
const setupStage = createSetupStage();



/***/ }),

/***/ 29481:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   EY: () => (/* binding */ backoffDelay),
/* harmony export */   L5: () => (/* binding */ retry),
/* harmony export */   Mf: () => (/* binding */ abortableSleep)
/* harmony export */ });
function abortableSleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error("aborted"));
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error("aborted"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
function backoffDelay(attempt, baseMs, maxMs, random) {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + random() * ceiling / 2);
}
async function retry(fn, opts) {
  const sleep = opts.sleep ?? abortableSleep;
  const random = opts.random ?? Math.random;
  const base = opts.baseDelayMs ?? 500;
  const max = opts.maxDelayMs ?? 3e4;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      if (attempt >= opts.attempts || opts.retryable && !opts.retryable(err)) throw err;
      const hinted = opts.delayHintMs?.(err);
      const delay = Math.max(backoffDelay(attempt, base, max, random), hinted ?? 0);
      opts.onRetry?.(err, attempt, delay);
      await sleep(delay, opts.signal);
    }
  }
}



/***/ })

};
