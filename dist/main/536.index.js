export const id = 536;
export const ids = [536];
export const modules = {

/***/ 71536:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   checkConnectivity: () => (/* binding */ checkConnectivity)
/* harmony export */ });
/* unused harmony export explainConnectivityError */
/* harmony import */ var _kubernetes_client_node__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(87010);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(45059);


const TLS_CODES = /* @__PURE__ */ new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "EPROTO"
]);
function errorCode(e) {
  let cur = e;
  let code;
  for (let i = 0; i < 6 && cur && typeof cur === "object"; i++) {
    const c = cur.code;
    if (typeof c === "string") code = c;
    cur = cur.cause;
  }
  return code;
}
function innermostMessage(e) {
  let cur = e;
  let msg;
  for (let i = 0; i < 6 && cur instanceof Error; i++) {
    msg = cur.message;
    cur = cur.cause;
  }
  return msg;
}
function explainConnectivityError(e, server, context, timedOut) {
  const status = e.code;
  const where = `the API server ${server} (context "${context}")`;
  if (status === 401) {
    return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .PipelineError */ .zC(
      "KUBE_UNAUTHORIZED",
      `${where} rejected the credentials (HTTP 401 Unauthorized)`,
      "The token or client certificate in the kubeconfig is wrong or expired: download a fresh kubeconfig from ACK (or let aliyun/ack-set-context fetch one) and update the secret.",
      { cause: e }
    );
  }
  if (status === 403) {
    return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .PipelineError */ .zC(
      "KUBE_FORBIDDEN",
      `${where} accepted the credentials but denied access (HTTP 403 Forbidden)`,
      "Grant the kubeconfig\u2019s user RBAC permissions in the namespace (Secrets, PVs/PVCs, PyTorchJobs, Deployments, pods/log, pods/portforward).",
      { cause: e }
    );
  }
  if (timedOut) {
    return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .PipelineError */ .zC(
      "KUBE_TIMEOUT",
      `${where} did not answer in time`,
      "Check that the cluster\u2019s API server is reachable from the runner (public endpoint enabled in ACK, or a self-hosted runner inside the VPC).",
      { cause: e }
    );
  }
  const code = errorCode(e);
  const reason = code ?? innermostMessage(e);
  if (code && TLS_CODES.has(code)) {
    return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .PipelineError */ .zC(
      "KUBE_TLS",
      `TLS to ${where} failed (${code})`,
      "The server\u2019s certificate does not match the kubeconfig: check certificate-authority-data and the server address (use the address the certificate was issued for).",
      { cause: e }
    );
  }
  if (typeof status === "number") {
    return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .PipelineError */ .zC(
      "KUBE_UNEXPECTED_STATUS",
      `${where} answered the version request with HTTP ${status}`,
      "Check that the server URL points at the Kubernetes API server and not at a proxy or load balancer page.",
      { cause: e }
    );
  }
  return new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .PipelineError */ .zC(
    "KUBE_UNREACHABLE",
    `Cannot reach ${where}${reason ? ` (${reason})` : ""}`,
    "Check the server address in the kubeconfig and that the API server accepts connections from the runner.",
    { cause: e }
  );
}
async function checkConnectivity(opts) {
  const kc = new _kubernetes_client_node__WEBPACK_IMPORTED_MODULE_0__/* .KubeConfig */ .ypW();
  if (opts.kubeconfigPath) kc.loadFromFile(opts.kubeconfigPath);
  else kc.loadFromDefault();
  if (opts.context) kc.setCurrentContext(opts.context);
  const context = kc.getCurrentContext();
  const server = kc.getCurrentCluster()?.server ?? "(none)";
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 3e4);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  try {
    const api = kc.makeApiClient(_kubernetes_client_node__WEBPACK_IMPORTED_MODULE_0__/* .VersionApi */ .Nq_);
    const call = api.getCode({
      middleware: [
        {
          pre: async (ctx) => {
            ctx.setSignal(signal);
            return ctx;
          },
          post: async (res) => res
        }
      ],
      middlewareMergeStrategy: "append"
    });
    call.catch(() => void 0);
    const info = await Promise.race([
      call,
      new Promise((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      })
    ]);
    return { server, version: info.gitVersion, platform: info.platform };
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    throw explainConnectivityError(e, server, context, timeout.aborted);
  }
}



/***/ })

};
