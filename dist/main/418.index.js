export const id = 418;
export const ids = [418];
export const modules = {

/***/ 15649:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   FT: () => (/* binding */ arenaOrThrow),
/* harmony export */   Gh: () => (/* binding */ arenaError),
/* harmony export */   pm: () => (/* binding */ runArena)
/* harmony export */ });
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(51455);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(76760);
/* harmony import */ var _actions_exec__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(41955);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(45059);




async function findArena(env) {
  for (const dir of (env.PATH ?? "").split(node_path__WEBPACK_IMPORTED_MODULE_1__.delimiter)) {
    if (!dir) continue;
    const file = node_path__WEBPACK_IMPORTED_MODULE_1__.join(dir, "arena");
    try {
      await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.access)(file, node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.constants.X_OK);
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
    const exitCode = await _actions_exec__WEBPACK_IMPORTED_MODULE_2__/* .exec */ .m(await findArena(env), [...args], {
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
    throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .PipelineError */ .zC(
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
  return new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .PipelineError */ .zC(
    "ARENA_FAILED",
    `arena ${args.slice(0, 2).join(" ")} (${what}) exited with ${res.exitCode}: ${lines[lines.length - 1] ?? ""}`,
    "Read the arena output below; check the kubeconfig context, the namespace and that the Arena operators are installed.",
    { details: lines }
  );
}



/***/ }),

/***/ 73571:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  m: () => (/* binding */ defaultDeps)
});

// EXTERNAL MODULE: ./.tmp/ncc-src/src/oss/client.js
var client = __webpack_require__(56035);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/arena/exec.js
var exec = __webpack_require__(15649);
// EXTERNAL MODULE: external "node:http"
var external_node_http_ = __webpack_require__(37067);
// EXTERNAL MODULE: external "node:https"
var external_node_https_ = __webpack_require__(44708);
// EXTERNAL MODULE: ./node_modules/@kubernetes/client-node/dist/index.js + 875 modules
var dist = __webpack_require__(87010);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/errors.js
var errors = __webpack_require__(45059);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/util/retry.js
var retry = __webpack_require__(29481);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/k8s/types.js
var types = __webpack_require__(54724);
;// CONCATENATED MODULE: ./.tmp/ncc-src/src/k8s/client.js






function loadKubeConfig(cfg, env = process.env) {
  const kc = new dist/* KubeConfig */.ypW();
  try {
    if (cfg.cluster.kubeconfig) kc.loadFromString(cfg.cluster.kubeconfig);
    else if (env.KUBECONFIG) kc.loadFromFile(env.KUBECONFIG.split(":")[0]);
    else kc.loadFromDefault();
    if (cfg.cluster.context) kc.setCurrentContext(cfg.cluster.context);
  } catch (err) {
    throw new errors/* PipelineError */.zC(
      "KUBECONFIG_INVALID",
      `cannot load the kubeconfig: ${err.message}`,
      "Pass a valid kubeconfig (raw or base64) in the kubeconfig input, or export KUBECONFIG.",
      { cause: err }
    );
  }
  if (!kc.getCurrentCluster()) {
    throw new errors/* PipelineError */.zC(
      "KUBECONFIG_INVALID",
      `the kubeconfig has no cluster for context "${kc.getCurrentContext()}"`,
      "Check the kube-context input against the contexts in the kubeconfig."
    );
  }
  return kc;
}
function resourcePath(type, namespace, name) {
  const base = type.apiVersion.includes("/") ? `/apis/${type.apiVersion}` : `/api/${type.apiVersion}`;
  const ns = type.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  return `${base}${ns}/${type.plural}${name ? `/${encodeURIComponent(name)}` : ""}`;
}
function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== void 0 && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
class ClientNodeKubeApi {
  constructor(kc) {
    this.kc = kc;
    this.server = new URL(kc.getCurrentCluster().server);
  }
  kc;
  server;
  async open(method, path, headers = {}) {
    const opts = { method, headers: { Accept: "application/json", ...headers } };
    await this.kc.applyToHTTPSOptions(opts);
    opts.headers = { ...opts.headers, ...headers };
    const url = new URL(this.server.href.replace(/\/$/, "") + path);
    if (url.protocol === "https:") return external_node_https_.request(url, opts);
    return external_node_http_.request(url, { method, headers: opts.headers });
  }
  /** One request, retried (same body) when the connection fails or the server answers 429/5xx: every call here is idempotent. */
  async request(method, path, body, contentType = "application/json") {
    return (0,retry/* retry */.L5)(
      async () => {
        const res = await this.requestOnce(method, path, body, contentType);
        if (res.status === 429 || res.status >= 500) throw statusError(res, `${method} ${path}`);
        return res;
      },
      { attempts: 5, baseDelayMs: 200, maxDelayMs: 3e3, retryable: types/* isTransient */.dg }
    ).catch((err) => {
      if (err instanceof types/* KubeApiError */.W3 && err.status >= 500)
        return { status: err.status, body: JSON.stringify({ reason: err.reason, message: err.message }) };
      throw err;
    });
  }
  async requestOnce(method, path, body, contentType = "application/json") {
    const payload = body === void 0 ? void 0 : JSON.stringify(body);
    const req = await this.open(
      method,
      path,
      payload === void 0 ? {} : { "Content-Type": contentType, "Content-Length": String(Buffer.byteLength(payload)) }
    );
    return new Promise((resolve, reject) => {
      req.on(
        "error",
        (err) => reject(new types/* KubeApiError */.W3(0, "ConnectionError", `${method} ${path}: ${err.message}`, { cause: err }))
      );
      req.setTimeout(3e4, () => req.destroy(new Error("timed out after 30 s")));
      req.on("response", (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on(
          "error",
          (err) => reject(new types/* KubeApiError */.W3(0, "ConnectionError", `${method} ${path}: ${err.message}`, { cause: err }))
        );
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      });
      req.end(payload);
    });
  }
  async json(method, path, body, contentType) {
    const res = await this.request(method, path, body, contentType);
    if (res.status >= 200 && res.status < 300) return JSON.parse(res.body);
    throw statusError(res, `${method} ${path}`);
  }
  async get(type, namespace, name) {
    try {
      return await this.json("GET", resourcePath(type, namespace, name));
    } catch (err) {
      if (err instanceof types/* KubeApiError */.W3 && err.status === 404) return void 0;
      throw err;
    }
  }
  async list(type, namespace, sel = {}) {
    const list = await this.json("GET", resourcePath(type, namespace) + query({ ...sel }));
    const items = (list.items ?? []).map((o) => ({ apiVersion: type.apiVersion, kind: type.kind, ...o }));
    return { items, resourceVersion: list.metadata?.resourceVersion ?? "0" };
  }
  async watch(type, namespace, opts, onEvent, onDone) {
    const w = new dist/* Watch */.ox1(this.kc);
    const ctl = await w.watch(
      resourcePath(type, namespace),
      { ...opts, allowWatchBookmarks: true },
      (phase, obj) => onEvent(phase, obj),
      (err) => {
        const code = err?.statusCode;
        onDone(
          err ? code ? new types/* KubeApiError */.W3(
            code,
            code === 410 ? "Gone" : "Error",
            `watch ${type.plural}: ${err.message}`
          ) : err : void 0
        );
      }
    );
    return { abort: () => ctl.abort() };
  }
  async apply(obj, opts = {}) {
    const type = typeOf(obj);
    const path = resourcePath(type, obj.metadata.namespace, obj.metadata.name) + query({
      fieldManager: types/* FIELD_MANAGER */.vy,
      force: opts.force ? true : void 0,
      dryRun: opts.dryRun ? "All" : void 0
    });
    return this.json("PATCH", path, obj, "application/apply-patch+yaml");
  }
  async delete(type, namespace, name) {
    const res = await this.request(
      "DELETE",
      resourcePath(type, namespace, name) + query({ propagationPolicy: "Background" })
    );
    if (res.status === 404) return false;
    if (res.status >= 200 && res.status < 300) return true;
    throw statusError(res, `DELETE ${type.plural}/${name}`);
  }
  async log(namespace, pod, container, r, out) {
    const path = resourcePath(types/* POD */.Sm, namespace, pod) + "/log" + query({ container, follow: r.follow, tailLines: r.tailLines, sinceTime: r.sinceTime, timestamps: r.timestamps });
    const req = await this.open("GET", path, { Accept: "*/*" });
    let abort = () => void req.destroy();
    const done = new Promise((resolve, reject) => {
      req.on(
        "error",
        (err) => reject(new types/* KubeApiError */.W3(0, "ConnectionError", `log ${pod}: ${err.message}`, { cause: err }))
      );
      req.on("response", (res) => {
        if ((res.statusCode ?? 0) >= 300) {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on(
            "end",
            () => reject(statusError({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }, `log ${pod}`))
          );
          return;
        }
        abort = () => void res.destroy();
        res.on("data", (c) => out.write(c));
        res.on("end", () => resolve());
        res.on("aborted", () => reject(new types/* KubeApiError */.W3(0, "ConnectionError", `log ${pod}: stream reset`)));
        res.on(
          "error",
          (err) => reject(new types/* KubeApiError */.W3(0, "ConnectionError", `log ${pod}: ${err.message}`, { cause: err }))
        );
      });
      req.end();
    });
    return { abort: () => abort(), done };
  }
}
const TYPES = Object.fromEntries(
  [types/* SECRET */.bB, types.PV, types/* PVC */.YH, types/* POD */.Sm, types/* EVENT */.ll, types/* DEPLOYMENT */.uH, types/* PYTORCHJOB */.fG].map((t) => [`${t.apiVersion}/${t.kind}`, t])
);
function typeOf(obj) {
  const t = TYPES[`${obj.apiVersion}/${obj.kind}`];
  if (!t) throw new Error(`unknown resource type ${obj.apiVersion} ${obj.kind}`);
  return t;
}
function statusError(res, what) {
  let st = {};
  try {
    st = JSON.parse(res.body);
  } catch {
    st = { message: res.body.slice(0, 200) };
  }
  return new types/* KubeApiError */.W3(
    res.status,
    st.reason ?? "Unknown",
    `${what}: ${res.status} ${st.reason ?? ""} ${st.message ?? ""}`.trim()
  );
}


// EXTERNAL MODULE: external "node:net"
var external_node_net_ = __webpack_require__(77030);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(57075);
;// CONCATENATED MODULE: ./.tmp/ncc-src/src/k8s/portforward.js



async function forwardPort(kc, namespace, pod, targetPort) {
  const pf = new dist/* PortForward */.nE4(kc);
  const sockets = /* @__PURE__ */ new Set();
  const errors = [];
  let count = 0;
  const server = external_node_net_.createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    const errStream = new external_node_stream_.Writable({
      write(chunk, _enc, cb) {
        const text = chunk.toString("utf8").trim();
        if (text) {
          errors.push(text);
          socket.destroy();
        }
        cb();
      }
    });
    pf.portForward(namespace, pod, [targetPort], socket, errStream, socket).then(
      (ws) => {
        const w = typeof ws === "function" ? ws() : ws;
        if (!w) return socket.destroy();
        w.on("close", () => socket.end());
        w.on("error", () => socket.destroy());
        socket.on("close", () => w.close());
      },
      (err) => {
        errors.push(err instanceof Error ? err.message : String(err));
        socket.destroy();
      }
    );
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = server.address().port;
  return {
    port,
    connections: () => count,
    errors: () => [...errors],
    dropConnections: () => {
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    })
  };
}


;// CONCATENATED MODULE: ./.tmp/ncc-src/src/k8s/cluster.js




const kubeCache = /* @__PURE__ */ new WeakMap();
const defaultDeps = {
  kube(ctx) {
    let k = kubeCache.get(ctx.config);
    if (!k) {
      const kc = loadKubeConfig(ctx.config, ctx.env);
      k = { api: new ClientNodeKubeApi(kc), kc };
      kubeCache.set(ctx.config, k);
    }
    return k;
  },
  oss(ctx) {
    return client/* OssStore */.$Z.fromConfig(ctx.config.oss, {
      attempts: Math.max(1, ctx.config.sync.retries + 1),
      signal: ctx.signal
    });
  },
  arena: exec/* runArena */.pm,
  forwardPort: forwardPort
};



/***/ }),

/***/ 54724:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Kf: () => (/* binding */ MANAGED_BY),
/* harmony export */   PV: () => (/* binding */ PV),
/* harmony export */   ST: () => (/* binding */ isGone),
/* harmony export */   Sm: () => (/* binding */ POD),
/* harmony export */   W3: () => (/* binding */ KubeApiError),
/* harmony export */   YH: () => (/* binding */ PVC),
/* harmony export */   bB: () => (/* binding */ SECRET),
/* harmony export */   dg: () => (/* binding */ isTransient),
/* harmony export */   fG: () => (/* binding */ PYTORCHJOB),
/* harmony export */   ll: () => (/* binding */ EVENT),
/* harmony export */   uH: () => (/* binding */ DEPLOYMENT),
/* harmony export */   vy: () => (/* binding */ FIELD_MANAGER)
/* harmony export */ });
const SECRET = { apiVersion: "v1", kind: "Secret", plural: "secrets", namespaced: true };
const PV = {
  apiVersion: "v1",
  kind: "PersistentVolume",
  plural: "persistentvolumes",
  namespaced: false
};
const PVC = {
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  plural: "persistentvolumeclaims",
  namespaced: true
};
const POD = { apiVersion: "v1", kind: "Pod", plural: "pods", namespaced: true };
const EVENT = { apiVersion: "v1", kind: "Event", plural: "events", namespaced: true };
const DEPLOYMENT = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  plural: "deployments",
  namespaced: true
};
const PYTORCHJOB = {
  apiVersion: "kubeflow.org/v1",
  kind: "PyTorchJob",
  plural: "pytorchjobs",
  namespaced: true
};
class KubeApiError extends Error {
  constructor(status, reason, message, opts = {}) {
    super(message, opts.cause === void 0 ? void 0 : { cause: opts.cause });
    this.status = status;
    this.reason = reason;
    this.name = "KubeApiError";
  }
  status;
  reason;
}
function isGone(err) {
  return err instanceof KubeApiError && (err.status === 410 || err.reason === "Expired" || err.reason === "Gone");
}
function isTransient(err) {
  if (err instanceof KubeApiError) return err.status === 0 || err.status === 429 || err.status >= 500;
  return true;
}
const FIELD_MANAGER = "arena-ft-pipeline";
const MANAGED_BY = { "app.kubernetes.io/managed-by": "arena-ft-pipeline" };



/***/ }),

/***/ 97040:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   D: () => (/* binding */ WaitTimeoutError),
/* harmony export */   f: () => (/* binding */ waitFor)
/* harmony export */ });
/* harmony import */ var _util_retry_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(29481);
/* harmony import */ var _types_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(54724);


class WaitTimeoutError extends Error {
  constructor(message) {
    super(message);
    this.name = "WaitTimeoutError";
  }
}
const realTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h)
};
function waitFor(opts) {
  const timers = opts.timers ?? realTimers;
  const sleep = opts.sleep ?? _util_retry_js__WEBPACK_IMPORTED_MODULE_1__/* .abortableSleep */ .Mf;
  const random = opts.random ?? Math.random;
  const maxFailures = opts.maxFailures ?? 8;
  const keys = Object.keys(opts.sources);
  const objects = new Map(keys.map((k) => [k, /* @__PURE__ */ new Map()]));
  const listed = /* @__PURE__ */ new Set();
  const inner = new AbortController();
  const handles = /* @__PURE__ */ new Set();
  return new Promise((resolve, reject) => {
    let settled = false;
    const snapshot = () => Object.fromEntries(keys.map((k) => [k, [...objects.get(k).values()]]));
    const finish = (fn) => {
      if (settled) return;
      settled = true;
      timers.clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      inner.abort();
      for (const h of handles) h.abort();
      fn();
    };
    const evaluate = () => {
      if (settled || listed.size < keys.length) return;
      let verdict;
      try {
        verdict = opts.check(snapshot());
      } catch (err) {
        verdict = { fail: err };
      }
      if (verdict && "done" in verdict) finish(() => resolve(verdict.done));
      else if (verdict) finish(() => reject(verdict.fail));
    };
    const onAbort = () => finish(() => reject(opts.signal?.reason ?? new Error("aborted")));
    const timer = timers.setTimeout(() => {
      const err = opts.onTimeout ? opts.onTimeout(snapshot()) : new WaitTimeoutError(`still waiting after ${Math.round(opts.timeoutMs / 1e3)} s`);
      finish(() => reject(err));
    }, opts.timeoutMs);
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const runSource = async (key) => {
      const src = opts.sources[key];
      const store = objects.get(key);
      let rv;
      let failures = 0;
      let quickCloses = 0;
      while (!inner.signal.aborted) {
        if (rv === void 0) {
          const list = await (0,_util_retry_js__WEBPACK_IMPORTED_MODULE_1__/* .retry */ .L5)(() => opts.api.list(src.type, src.namespace, src.selector), {
            attempts: maxFailures,
            baseDelayMs: 200,
            maxDelayMs: 5e3,
            retryable: _types_js__WEBPACK_IMPORTED_MODULE_0__/* .isTransient */ .dg,
            signal: inner.signal,
            sleep,
            random,
            onRetry: (err) => opts.onReconnect?.(key, `list failed (${err.message}), retrying`)
          });
          store.clear();
          for (const o of list.items) store.set(o.metadata.name, o);
          rv = list.resourceVersion;
          listed.add(key);
          evaluate();
        }
        let events = 0;
        const ended = await new Promise((done) => {
          let handle;
          let stopped = false;
          const stop = (why) => {
            stopped = true;
            handle?.abort();
            if (handle) handles.delete(handle);
            inner.signal.removeEventListener("abort", onInnerAbort);
            done(why);
          };
          const onInnerAbort = () => stop("closed");
          inner.signal.addEventListener("abort", onInnerAbort, { once: true });
          opts.api.watch(
            src.type,
            src.namespace,
            { ...src.selector, resourceVersion: rv },
            (type, obj) => {
              if (settled) return;
              if (type === "ERROR") {
                const st = obj;
                return stop(
                  st.code === 410 || st.reason === "Expired" || st.reason === "Gone" ? "gone" : new _types_js__WEBPACK_IMPORTED_MODULE_0__/* .KubeApiError */ .W3(st.code ?? 500, st.reason ?? "Unknown", st.message ?? "watch error")
                );
              }
              events++;
              if (obj.metadata?.resourceVersion) rv = obj.metadata.resourceVersion;
              if (type === "BOOKMARK") return;
              if (type === "DELETED") store.delete(obj.metadata.name);
              else store.set(obj.metadata.name, obj);
              opts.onChange?.(key, type, obj);
              evaluate();
            },
            (err) => stop(err === void 0 || err === null ? "closed" : err)
          ).then(
            (h) => {
              handle = h;
              if (stopped || inner.signal.aborted) h.abort();
              else handles.add(h);
            },
            (err) => stop(err)
          );
        });
        if (inner.signal.aborted) return;
        if (ended === "gone" || (0,_types_js__WEBPACK_IMPORTED_MODULE_0__/* .isGone */ .ST)(ended)) {
          opts.onReconnect?.(key, "resourceVersion too old (410), re-listing");
          rv = void 0;
          continue;
        }
        if (ended === "closed") {
          quickCloses = events > 0 ? 0 : quickCloses + 1;
          failures = 0;
          opts.onReconnect?.(key, "watch closed, reconnecting");
          if (quickCloses > 0)
            await sleep((0,_util_retry_js__WEBPACK_IMPORTED_MODULE_1__/* .backoffDelay */ .EY)(quickCloses, 100, 5e3, random), inner.signal).catch(() => void 0);
          continue;
        }
        if (!(0,_types_js__WEBPACK_IMPORTED_MODULE_0__/* .isTransient */ .dg)(ended)) throw ended;
        failures++;
        if (failures >= maxFailures) throw ended;
        opts.onReconnect?.(key, `watch failed (${ended.message}), reconnecting`);
        await sleep((0,_util_retry_js__WEBPACK_IMPORTED_MODULE_1__/* .backoffDelay */ .EY)(failures, 100, 5e3, random), inner.signal).catch(() => void 0);
      }
    };
    for (const key of keys) {
      runSource(key).catch((err) => {
        if (!inner.signal.aborted) finish(() => reject(err));
      });
    }
  });
}



/***/ }),

/***/ 56035:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   $Z: () => (/* binding */ OssStore),
/* harmony export */   v7: () => (/* binding */ crcMismatch)
/* harmony export */ });
/* unused harmony exports finalOssError, isRetryableOssError, ossClientOptions */
/* harmony import */ var node_stream__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(57075);
/* harmony import */ var ali_oss__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(14391);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(45059);
/* harmony import */ var _util_retry_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(29481);
/* harmony import */ var _crc64_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(4734);





const RETRYABLE_CODES = /* @__PURE__ */ new Set([
  "InternalError",
  "ServiceUnavailable",
  "RequestTimeout",
  "SlowDown",
  "ResponseTimeoutError",
  "ConnectionTimeoutError",
  "RequestError"
]);
function isRetryableOssError(err) {
  if (err instanceof _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .PipelineError */ .zC) return false;
  const e = err;
  if (!e) return false;
  if (typeof e.status === "number" && (e.status >= 500 || e.status === -1 || e.status === -2)) return true;
  if (e.code && RETRYABLE_CODES.has(e.code)) return true;
  if (e.code && /^E(CONNRESET|CONNREFUSED|PIPE|TIMEDOUT|CONNABORTED)$/.test(e.code)) return true;
  return /socket hang up|ECONNRESET|premature close/i.test(e.message ?? "");
}
function ossClientOptions(cfg) {
  const url = new URL(cfg.endpoint);
  return {
    accessKeyId: cfg.accessKeyId,
    accessKeySecret: cfg.accessKeySecret,
    ...cfg.securityToken ? {
      stsToken: cfg.securityToken,
      // The token is fixed for the run (a new one means a new job); this only keeps ali-oss from warning.
      refreshSTSToken: async () => ({
        accessKeyId: cfg.accessKeyId,
        accessKeySecret: cfg.accessKeySecret,
        stsToken: cfg.securityToken
      }),
      refreshSTSTokenInterval: 24 * 3600 * 1e3
    } : {},
    bucket: cfg.bucket,
    region: cfg.region,
    endpoint: cfg.endpoint,
    secure: url.protocol === "https:",
    // `localhost` cannot take a bucket sub-domain; IP endpoints are sent the bucket in Host by ali-oss itself.
    ...url.hostname === "localhost" ? { sldEnable: true } : {},
    authorizationV4: cfg.signatureV4,
    timeout: 3e5,
    retryMax: 0
  };
}
function describeOss(err) {
  const e = err;
  const id = e.requestId ? `, request id ${e.requestId}` : "";
  return `${e.code ?? e.status ?? "error"}: ${(e.message ?? String(err)).split("\n")[0]}${id}`;
}
function finalOssError(err, what, bucket, attempts) {
  if (err instanceof _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .PipelineError */ .zC) return err;
  const e = err;
  const cause = describeOss(err);
  switch (e.code) {
    case "AccessDenied":
    case "InvalidAccessKeyId":
    case "SignatureDoesNotMatch":
    case "SecurityTokenExpired":
    case "InvalidSecurityToken":
      return new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .PipelineError */ .zC(
        "OSS_ACCESS_DENIED",
        `OSS refused ${what} in bucket ${bucket} (${cause}).`,
        e.code === "SecurityTokenExpired" ? "The STS token expired: request a new one (e.g. a longer role session) and re-run." : "Check oss-access-key-id / oss-access-key-secret (and oss-security-token for STS) and that the RAM policy allows oss:PutObject, GetObject, ListObjects, ListParts and AbortMultipartUpload on the bucket.",
        { cause: err }
      );
    case "RequestTimeTooSkewed":
      return new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .PipelineError */ .zC(
        "OSS_CLOCK_SKEW",
        `OSS refused ${what}: the runner's clock is off by more than 15 minutes.`,
        "Fix the runner's clock (NTP) and re-run.",
        { cause: err }
      );
    case "NoSuchBucket":
      return new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .PipelineError */ .zC(
        "OSS_NO_SUCH_BUCKET",
        `Bucket ${bucket} does not exist at this endpoint (${cause}).`,
        "Check the oss-bucket, oss-region and oss-endpoint inputs.",
        { cause: err }
      );
  }
  if (isRetryableOssError(err)) {
    return new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .PipelineError */ .zC(
      "OSS_UNAVAILABLE",
      `OSS failed ${what} after ${attempts} attempts (${cause}).`,
      "OSS was unavailable or the network unstable; re-run the job (finished files are skipped).",
      { cause: err }
    );
  }
  return new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .PipelineError */ .zC(
    "OSS_REQUEST_FAILED",
    `OSS failed ${what} (${cause}).`,
    "Check the OSS inputs (endpoint, region, bucket) and re-run.",
    { cause: err }
  );
}
function crcMismatch(what, ours, theirs) {
  return new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .PipelineError */ .zC(
    "OSS_CHECKSUM_MISMATCH",
    `CRC-64 of ${what} differs: computed ${ours}, OSS stored ${theirs}.`,
    "The bytes were changed between the runner and OSS; re-run the job (a proxy rewriting bodies would cause this every time)."
  );
}
const metaOf = (headers) => {
  const meta = {};
  for (const [k, v] of Object.entries(headers))
    if (k.startsWith("x-oss-meta-") && v !== void 0) meta[k.slice(11)] = v;
  return meta;
};
class OssStore {
  constructor(client, bucket, opts) {
    this.client = client;
    this.opts = opts;
    this.bucket = bucket;
  }
  client;
  opts;
  bucket;
  static fromConfig(cfg, opts) {
    return new OssStore(new ali_oss__WEBPACK_IMPORTED_MODULE_1__(ossClientOptions(cfg)), cfg.bucket, opts);
  }
  async call(what, fn) {
    let attempts = 0;
    try {
      return await (0,_util_retry_js__WEBPACK_IMPORTED_MODULE_4__/* .retry */ .L5)(
        (a) => {
          attempts = a;
          return fn();
        },
        {
          attempts: this.opts.attempts,
          retryable: isRetryableOssError,
          signal: this.opts.signal,
          sleep: this.opts.sleep,
          random: this.opts.random,
          onRetry: (err, attempt, delay) => this.opts.onRetry?.(what, err, attempt, delay)
        }
      );
    } catch (err) {
      throw finalOssError(err, what, this.bucket, attempts);
    }
  }
  async head(key) {
    try {
      return await this.call(`HEAD ${key}`, async () => {
        const r = await this.client.head(key);
        return {
          size: Number(r.res.headers["content-length"] ?? -1),
          meta: metaOf(r.res.headers),
          crc64: r.res.headers["x-oss-hash-crc64ecma"]
        };
      });
    } catch (err) {
      const e = err.cause;
      if (e?.status === 404 || e?.code === "NoSuchKey") return void 0;
      throw err;
    }
  }
  async getText(key) {
    try {
      return await this.call(`GET ${key}`, async () => (await this.client.get(key)).content.toString("utf8"));
    } catch (err) {
      const e = err.cause;
      if (e?.status === 404 || e?.code === "NoSuchKey") return void 0;
      throw err;
    }
  }
  /** A small object in one PUT, its CRC64 checked; on a mismatch the object is deleted. */
  async putObject(key, body, meta = {}, mime) {
    const ours = (0,_crc64_js__WEBPACK_IMPORTED_MODULE_3__/* .crc64 */ .d9)(body);
    const res = await this.call(`PUT ${key}`, async () => (await this.client.put(key, body, { meta, mime })).res);
    const theirs = res.headers["x-oss-hash-crc64ecma"];
    if (theirs !== void 0 && theirs !== ours) {
      await this.delete(key).catch(() => void 0);
      throw crcMismatch(key, ours, theirs);
    }
  }
  async delete(key) {
    await this.call(`DELETE ${key}`, () => this.client.delete(key));
  }
  /** Server-side copy (no bytes through the runner), replacing the metadata. */
  async copy(fromKey, toKey, meta) {
    await this.call(
      `COPY ${fromKey} \u2192 ${toKey}`,
      () => this.client.copy(toKey, fromKey, { meta, headers: { "x-oss-metadata-directive": "REPLACE" } })
    );
  }
  /** Keys and sub-prefixes under `prefix` (one level when `delimiter` is given). */
  async list(prefix, delimiter) {
    const keys = [];
    const prefixes = [];
    let token;
    do {
      const r = await this.call(
        `LIST ${prefix}`,
        () => this.client.listV2({
          prefix,
          "max-keys": 1e3,
          ...delimiter ? { delimiter } : {},
          ...token ? { "continuation-token": token } : {}
        })
      );
      for (const o of r.objects ?? []) keys.push({ key: o.name, size: Number(o.size) });
      prefixes.push(...r.prefixes ?? []);
      token = r.isTruncated ? r.nextContinuationToken : void 0;
    } while (token);
    return { keys, prefixes };
  }
  async initUpload(key, meta) {
    return (await this.call(`start upload of ${key}`, () => this.client.initMultipartUpload(key, { meta }))).uploadId;
  }
  /**
   * One part from a buffer (re-sent as a whole on a retry: the buffer stays in memory until OSS has it). The
   * part's CRC64, when OSS reports it, must equal ours.
   */
  async uploadPart(key, uploadId, partNumber, body, partCrc) {
    const what = `part ${partNumber} of ${key}`;
    const r = await this.call(
      `upload ${what}`,
      () => this.client._uploadPart(key, uploadId, partNumber, {
        size: body.length,
        stream: node_stream__WEBPACK_IMPORTED_MODULE_0__.Readable.from([body], { objectMode: false })
      })
    );
    const theirs = r.res.headers["x-oss-hash-crc64ecma"];
    if (theirs !== void 0) {
      const ours = partCrc ?? (0,_crc64_js__WEBPACK_IMPORTED_MODULE_3__/* .crc64 */ .d9)(body);
      if (theirs !== ours) throw crcMismatch(what, ours, theirs);
    }
    return { number: partNumber, etag: r.etag, size: body.length };
  }
  async listParts(key, uploadId) {
    const parts = [];
    let marker;
    for (; ; ) {
      const r = await this.call(
        `list parts of ${key}`,
        () => this.client.listParts(key, uploadId, { "max-parts": 1e3, ...marker ? { "part-number-marker": marker } : {} })
      );
      const raw = Array.isArray(r.parts) ? r.parts : r.parts ? [r.parts] : [];
      for (const p of raw) parts.push({ number: Number(p.PartNumber), etag: p.ETag, size: Number(p.Size) });
      const truncated = r.isTruncated === true || r.isTruncated === "true";
      if (!truncated || !r.nextPartNumberMarker) break;
      marker = r.nextPartNumberMarker;
    }
    return parts.sort((a, b) => a.number - b.number);
  }
  /** Complete; returns the object's CRC64 as OSS reports it (if it does). */
  async complete(key, uploadId, parts) {
    const list = [...parts].sort((a, b) => a.number - b.number).map((p) => ({ number: p.number, etag: p.etag }));
    const r = await this.call(
      `complete upload of ${key}`,
      () => this.client.completeMultipartUpload(key, uploadId, list)
    );
    return r.res.headers["x-oss-hash-crc64ecma"];
  }
  /** Abort; an upload that is already gone counts as aborted. */
  async abort(key, uploadId) {
    try {
      await this.call(`abort upload of ${key}`, () => this.client.abortMultipartUpload(key, uploadId));
    } catch (err) {
      const e = err.cause;
      if (e?.code === "NoSuchUpload" || e?.status === 404) return;
      throw err;
    }
  }
  async listUploads(prefix) {
    const out = [];
    let keyMarker;
    let idMarker;
    for (; ; ) {
      const r = await this.call(
        `list unfinished uploads under ${prefix}`,
        () => this.client.listUploads({
          prefix,
          "max-uploads": 1e3,
          ...keyMarker ? { "key-marker": keyMarker, "upload-id-marker": idMarker } : {}
        })
      );
      for (const u of r.uploads) out.push({ key: u.name, uploadId: u.uploadId, initiated: u.initiated });
      if (!r.isTruncated || !r.nextKeyMarker) break;
      keyMarker = r.nextKeyMarker;
      idMarker = r.nextUploadIdMarker;
    }
    return out;
  }
}



/***/ }),

/***/ 4734:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   GU: () => (/* binding */ crc64Combine),
/* harmony export */   d9: () => (/* binding */ crc64),
/* harmony export */   jT: () => (/* binding */ CRC64_EMPTY)
/* harmony export */ });
const POLY_HI = 3379320725;
const POLY_LO = 3615952706;
const CRC64_EMPTY = "0";
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const TL = new Uint32Array(256 * 8);
const TH = new Uint32Array(256 * 8);
for (let n = 0; n < 256; n++) {
  let lo = n;
  let hi = 0;
  for (let k = 0; k < 8; k++) {
    const odd = lo & 1;
    lo = (lo >>> 1 | hi << 31) >>> 0;
    hi = hi >>> 1;
    if (odd) {
      lo = (lo ^ POLY_LO) >>> 0;
      hi = (hi ^ POLY_HI) >>> 0;
    }
  }
  TL[n] = lo;
  TH[n] = hi;
}
for (let t = 1; t < 8; t++) {
  for (let n = 0; n < 256; n++) {
    const pl = TL[(t - 1) * 256 + n];
    const ph = TH[(t - 1) * 256 + n];
    const i = pl & 255;
    TL[t * 256 + n] = ((pl >>> 8 | ph << 24) ^ TL[i]) >>> 0;
    TH[t * 256 + n] = (ph >>> 8 ^ TH[i]) >>> 0;
  }
}
function crc64(buf, prev = CRC64_EMPTY) {
  const p = BigInt(prev);
  let lo = ~Number(p & 0xffffffffn) | 0;
  let hi = ~Number(p >> 32n) | 0;
  const n = buf.length;
  let i = 0;
  for (; i < n && (buf.byteOffset + i & 3) !== 0; i++) {
    const x = (lo ^ buf[i]) & 255;
    lo = (lo >>> 8 | hi << 24) ^ TL[x];
    hi = hi >>> 8 ^ TH[x];
  }
  const words = LITTLE_ENDIAN ? n - i >>> 3 << 1 : 0;
  if (words > 0) {
    const w = new Uint32Array(buf.buffer, buf.byteOffset + i, words);
    for (let j = 0; j < words; j += 2) {
      const a = lo ^ w[j];
      const b = hi ^ w[j + 1];
      lo = TL[1792 + (a & 255)] ^ TL[1536 + (a >>> 8 & 255)] ^ TL[1280 + (a >>> 16 & 255)] ^ TL[1024 + (a >>> 24)] ^ TL[768 + (b & 255)] ^ TL[512 + (b >>> 8 & 255)] ^ TL[256 + (b >>> 16 & 255)] ^ TL[b >>> 24];
      hi = TH[1792 + (a & 255)] ^ TH[1536 + (a >>> 8 & 255)] ^ TH[1280 + (a >>> 16 & 255)] ^ TH[1024 + (a >>> 24)] ^ TH[768 + (b & 255)] ^ TH[512 + (b >>> 8 & 255)] ^ TH[256 + (b >>> 16 & 255)] ^ TH[b >>> 24];
    }
    i += words * 4;
  }
  for (; i < n; i++) {
    const x = (lo ^ buf[i]) & 255;
    lo = (lo >>> 8 | hi << 24) ^ TL[x];
    hi = hi >>> 8 ^ TH[x];
  }
  return (BigInt(~hi >>> 0) << 32n | BigInt(~lo >>> 0)).toString();
}
const POLY = 0xc96c5795d7870f42n;
function times(mat, vec) {
  let sum = 0n;
  for (let i = 0; vec !== 0n; i++, vec >>= 1n) if (vec & 1n) sum ^= mat[i];
  return sum;
}
const compose = (a, b) => b.map((col) => times(a, col));
const operators = /* @__PURE__ */ new Map();
function zerosOperator(len) {
  const cached = operators.get(len);
  if (cached) return cached;
  let base = [POLY];
  for (let n = 1, row = 1n; n < 64; n++, row <<= 1n) base.push(row);
  let result = Array.from({ length: 64 }, (_, i) => 1n << BigInt(i));
  for (let bits = BigInt(len) * 8n; bits > 0n; bits >>= 1n) {
    if (bits & 1n) result = compose(base, result);
    base = compose(base, base);
  }
  if (operators.size > 16) operators.clear();
  operators.set(len, result);
  return result;
}
function crc64Combine(crcA, crcB, lenB) {
  if (lenB === 0) return crcA;
  return (times(zerosOperator(lenB), BigInt(crcA)) ^ BigInt(crcB)).toString();
}



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
