export const id = 965;
export const ids = [965];
export const modules = {

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

/***/ 93965:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  createSyncStage: () => (/* binding */ createSyncStage),
  syncStage: () => (/* binding */ syncStage)
});

// EXTERNAL MODULE: ./node_modules/p-limit/index.js + 1 modules
var p_limit = __webpack_require__(70370);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/config/layout.js
var layout = __webpack_require__(21095);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/errors.js
var errors = __webpack_require__(45059);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/util/retry.js
var retry = __webpack_require__(29481);
// EXTERNAL MODULE: external "node:http"
var external_node_http_ = __webpack_require__(37067);
// EXTERNAL MODULE: external "node:https"
var external_node_https_ = __webpack_require__(44708);
;// CONCATENATED MODULE: ./.tmp/ncc-src/src/hf/http.js


const agents = {
  http: new external_node_http_.Agent({ keepAlive: true, maxSockets: 32 }),
  https: new external_node_https_.Agent({ keepAlive: true, maxSockets: 32 })
};
class StallError extends Error {
  code = "ESTALL";
  constructor(url, ms) {
    super(`no data from ${new URL(url).host} for ${ms} ms`);
    this.name = "StallError";
  }
}
const REDIRECTS = /* @__PURE__ */ new Set([301, 302, 303, 307, 308]);
function once(url, req, auth) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === "https:" ? external_node_https_ : external_node_http_;
    const headers = { "user-agent": "arena-ft-pipeline", ...req.headers };
    if (auth) headers.authorization = auth;
    const r = mod.request(
      u,
      {
        method: req.method ?? "GET",
        headers,
        agent: u.protocol === "https:" ? agents.https : agents.http,
        signal: req.signal
      },
      (res) => {
        r.setTimeout(0);
        resolve(res);
      }
    );
    r.setTimeout(req.stallMs, () => r.destroy(new StallError(url, req.stallMs)));
    r.on("error", reject);
    r.end();
  });
}
async function httpRequest(url, req) {
  const origin = new URL(url).origin;
  let auth = req.authorization;
  const chain = [];
  for (let hop = 0; ; hop++) {
    const res = await once(url, req, auth);
    const status = res.statusCode ?? 0;
    chain.push({ url, status, headers: res.headers });
    const follow = REDIRECTS.has(status) && res.headers.location && req.maxRedirects !== 0;
    if (!follow) return { status, headers: res.headers, url, chain, body: res };
    res.resume();
    if (hop >= (req.maxRedirects ?? 5)) throw new Error(`too many redirects from ${new URL(chain[0].url).host}`);
    url = new URL(res.headers.location, url).toString();
    if (new URL(url).origin !== origin) auth = void 0;
  }
}
async function readAll(body, stallMs, url) {
  const parts = [];
  for await (const c of readChunks(body, stallMs, url)) parts.push(c);
  return Buffer.concat(parts);
}
async function* readChunks(body, stallMs, url) {
  const it = body[Symbol.asyncIterator]();
  let waiting = false;
  const timer = setTimeout(() => {
    if (waiting) body.destroy(new StallError(url, stallMs));
  }, stallMs);
  try {
    for (; ; ) {
      waiting = true;
      timer.refresh();
      const next = await it.next();
      waiting = false;
      if (next.done) return;
      yield next.value;
    }
  } finally {
    clearTimeout(timer);
    if (!body.readableEnded) body.destroy();
  }
}


;// CONCATENATED MODULE: ./.tmp/ncc-src/src/hf/errors.js

class HubHttpError extends Error {
  constructor(status, url, retryAfterMs, requestId) {
    super(`${new URL(url).host} answered ${status}${requestId ? ` (request id ${requestId})` : ""}`);
    this.status = status;
    this.url = url;
    this.retryAfterMs = retryAfterMs;
    this.requestId = requestId;
    this.name = "HubHttpError";
  }
  status;
  url;
  retryAfterMs;
  requestId;
}
const NETWORK_CODES = /* @__PURE__ */ new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "ESTALL",
  "EAI_AGAIN",
  "ENOTFOUND",
  "ECONNABORTED",
  "UND_ERR_SOCKET",
  "ERR_STREAM_PREMATURE_CLOSE"
]);
function isRetryableHubError(err) {
  if (err instanceof errors/* PipelineError */.zC) return false;
  if (err instanceof HubHttpError) return err.status === 429 || err.status >= 500;
  const e = err;
  if (e?.code && NETWORK_CODES.has(e.code)) return true;
  return e?.message === "aborted" || /socket hang up|premature close/i.test(e?.message ?? "");
}
function hubRetryDelayMs(err) {
  return err instanceof HubHttpError ? err.retryAfterMs : void 0;
}
function parseRetryAfter(value, now) {
  if (!value) return void 0;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1e3);
  const t = Date.parse(value);
  return Number.isNaN(t) ? void 0 : Math.max(0, t - now);
}
const header = (h, name) => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};
function hubError(status, headers, url, t, now) {
  const code = header(headers, "x-error-code");
  const serverMsg = header(headers, "x-error-message");
  const requestId = header(headers, "x-request-id");
  const said = serverMsg ? ` The hub said: "${serverMsg}".` : "";
  const page = `${t.endpoint.replace(/\/+$/, "")}/${t.repo}`;
  if (status === 429 || status >= 500)
    return new HubHttpError(status, url, parseRetryAfter(header(headers, "retry-after"), now), requestId);
  if (code === "GatedRepo") {
    return new errors/* PipelineError */.zC(
      "HF_GATED_REPO",
      `${t.repo} is a gated repository and ${t.hasToken ? "the token given has not been granted access" : "no token was given"}.${said}`,
      `Accept the licence at ${page} with the account that owns the token, then pass a token with read access (for fine-grained tokens: "read access to contents of public gated repos") in the hf-token input.`
    );
  }
  if (code === "RepoNotFound" || status === 404 && !code && !t.path) {
    return new errors/* PipelineError */.zC(
      "HF_REPO_NOT_FOUND",
      `Repository ${t.repo} was not found on ${t.endpoint}, or it is private and ${t.hasToken ? "the token cannot read it" : "no token was given"}.${said}`,
      `Check the repo id (org/name) at ${page}; for a private repo pass a token with read access in the hf-token input.`
    );
  }
  if (code === "RevisionNotFound") {
    return new errors/* PipelineError */.zC(
      "HF_REVISION_NOT_FOUND",
      `Revision "${t.revision}" does not exist in ${t.repo}.${said}`,
      `Use a branch, tag or full commit sha listed at ${page}/tree/main (branches menu) in the revision input.`
    );
  }
  if (code === "EntryNotFound") {
    return new errors/* PipelineError */.zC(
      "HF_ENTRY_NOT_FOUND",
      `File ${t.path ?? "(unknown)"} does not exist in ${t.repo} at ${t.revision}.${said}`,
      "The file list changed while syncing or the mirror is incomplete; re-run the job, or exclude the file."
    );
  }
  if (status === 401 || status === 403) {
    return new errors/* PipelineError */.zC(
      "HF_UNAUTHORIZED",
      `${t.endpoint} refused access to ${t.repo} (HTTP ${status}).${said}`,
      "Check that the hf-token secret holds a valid token with read access to the repository."
    );
  }
  return new errors/* PipelineError */.zC(
    "HF_REQUEST_FAILED",
    `${t.endpoint} answered HTTP ${status} for ${t.repo}${t.path ? ` file ${t.path}` : ""}.${said}${requestId ? ` Request id ${requestId}.` : ""}`,
    "Check the hf-endpoint input (a mirror must speak the Hub API) and re-run."
  );
}
function finalHubError(err, t, attempts) {
  if (err instanceof errors/* PipelineError */.zC) return err;
  const what = t.path ? `file ${t.path} of ${t.repo}` : t.repo;
  const cause = err instanceof Error ? err.message : String(err);
  if (err instanceof HubHttpError && err.status === 429) {
    return new errors/* PipelineError */.zC(
      "HF_RATE_LIMITED",
      `The hub kept answering 429 (too many requests) for ${what} after ${attempts} attempts.`,
      "The hub limits requests per IP address: pass an hf-token, lower files-in-parallel, or re-run later.",
      { cause: err }
    );
  }
  if (isRetryableHubError(err)) {
    return new errors/* PipelineError */.zC(
      "HF_UNAVAILABLE",
      `Downloading ${what} failed after ${attempts} attempts: ${cause}.`,
      "The hub or its CDN is unreachable or unstable; re-run the job (finished files are kept and skipped), or set hf-endpoint to a mirror.",
      { cause: err }
    );
  }
  return err;
}


;// CONCATENATED MODULE: ./.tmp/ncc-src/src/hf/paths.js

function unsafePathReason(p) {
  if (p === "") return "it is empty";
  if (p.includes("\0")) return "it contains a NUL byte";
  if (p.includes("\\")) return "it contains a backslash";
  if (p.startsWith("/")) return "it is absolute";
  if (/^[A-Za-z]:/.test(p)) return "it starts with a drive letter";
  if (/[\x00-\x1f\x7f]/.test(p)) return "it contains a control character";
  for (const seg of p.split("/")) {
    if (seg === "") return "it has an empty segment";
    if (seg === "..") return 'it has a ".." segment';
    if (seg === ".") return 'it has a "." segment';
  }
  return void 0;
}
function assertSafeRepoPath(repo, p) {
  const reason = unsafePathReason(p);
  if (reason !== void 0) {
    throw new errors/* PipelineError */.zC(
      "HF_UNSAFE_PATH",
      `The file list of ${repo} contains the path ${JSON.stringify(p)}, which is not a safe relative path: ${reason}.`,
      "Nothing was uploaded. Check the hub endpoint (a mirror may be misbehaving) or exclude the file with the exclude input."
    );
  }
  return p;
}
const encodeRevision = (rev) => encodeURIComponent(rev);
const encodeRepoPath = (p) => p.split("/").map(encodeURIComponent).join("/");


;// CONCATENATED MODULE: ./.tmp/ncc-src/src/hf/client.js





const client_header = (r, name) => {
  const v = r.headers[name];
  return Array.isArray(v) ? v[0] : v;
};
function nextLink(link, base) {
  if (!link) return void 0;
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]+)>\s*;(.*)$/.exec(part);
    if (m && /\brel\s*=\s*"?next"?/.test(m[2])) return new URL(m[1], base).toString();
  }
  return void 0;
}
class HubClient {
  constructor(opts) {
    this.opts = opts;
    this.endpoint = opts.endpoint.replace(/\/+$/, "");
    this.stallMs = opts.stallMs ?? 6e4;
    this.now = opts.now ?? Date.now;
  }
  opts;
  endpoint;
  stallMs;
  now;
  get auth() {
    return this.opts.token ? `Bearer ${this.opts.token}` : void 0;
  }
  target(repo, revision, path) {
    return { endpoint: this.endpoint, repo, revision, path, hasToken: !!this.opts.token };
  }
  /** One request, retried; resolves with a 2xx/206 (or 3xx when redirects are off) response. */
  async send(url, t, init = {}) {
    let attempts = 0;
    try {
      return await (0,retry/* retry */.L5)(
        async (attempt) => {
          attempts = attempt;
          const res = await httpRequest(url, {
            ...init,
            authorization: this.auth,
            stallMs: this.stallMs,
            signal: this.opts.signal
          });
          if (res.status < 400) return res;
          res.body.resume();
          throw hubError(res.status, res.headers, res.url, t, this.now());
        },
        {
          attempts: this.opts.attempts,
          retryable: isRetryableHubError,
          delayHintMs: hubRetryDelayMs,
          signal: this.opts.signal,
          sleep: this.opts.sleep,
          random: this.opts.random,
          onRetry: (err, attempt, delay) => this.opts.onRetry?.(t.path ?? t.repo, err, attempt, delay)
        }
      );
    } catch (err) {
      throw finalHubError(err, t, attempts);
    }
  }
  async json(url, t) {
    const res = await this.send(url, t, { headers: { accept: "application/json" } });
    const raw = await readAll(res.body, this.stallMs, url);
    try {
      return { data: JSON.parse(raw.toString("utf8")), res };
    } catch {
      throw new errors/* PipelineError */.zC(
        "HF_BAD_RESPONSE",
        `${this.endpoint} answered ${url.slice(this.endpoint.length)} with something that is not JSON.`,
        "Check the hf-endpoint input: it must be the Hub (https://huggingface.co) or a mirror that speaks its API."
      );
    }
  }
  async resolveRevision(repo, revision) {
    const t = this.target(repo, revision);
    const url = `${this.endpoint}/api/models/${repo}/revision/${encodeRevision(revision)}`;
    const { data } = await this.json(url, t);
    if (!data.sha || !/^[0-9a-f]{40}$/.test(data.sha)) {
      throw new errors/* PipelineError */.zC(
        "HF_BAD_RESPONSE",
        `${this.endpoint} did not give a commit sha for ${repo} at "${revision}".`,
        "Check the hf-endpoint input: it must be the Hub or a mirror that speaks its API."
      );
    }
    return { commit: data.sha, gated: data.gated ?? false, private: data.private ?? false };
  }
  /** Every file of the commit (recursive), paths checked before anyone forms a key from them. */
  async listFiles(repo, commit) {
    const t = this.target(repo, commit);
    const files = [];
    let url = `${this.endpoint}/api/models/${repo}/tree/${encodeRevision(commit)}?recursive=true`;
    for (let page = 0; url; page++) {
      if (page > 1e4) throw new Error("tree listing does not end");
      const { data, res } = await this.json(url, t);
      if (!Array.isArray(data))
        throw new errors/* PipelineError */.zC(
          "HF_BAD_RESPONSE",
          `The tree listing of ${repo} is not a list.`,
          "Check the hf-endpoint input."
        );
      for (const e of data) {
        assertSafeRepoPath(repo, String(e.path));
        if (e.type !== "file") continue;
        files.push({ path: e.path, size: e.lfs?.size ?? e.size, gitOid: e.oid, sha256: e.lfs?.oid });
      }
      url = nextLink(client_header(res, "link"), url);
    }
    return files;
  }
  /**
   * Checks that the token may download from this repo (gated terms accepted), before the first byte is sent
   * anywhere: a HEAD on one file's resolve URL, without following the CDN redirect.
   */
  async checkDownloadAccess(repo, commit, path) {
    const url = `${this.endpoint}/${repo}/resolve/${commit}/${encodeRepoPath(path)}`;
    const res = await this.send(url, this.target(repo, commit, path), { method: "HEAD", maxRedirects: 0 });
    res.body.resume();
  }
  /** The file's bytes from `start` (a ranged GET when > 0), following the CDN redirect without the token. */
  async open(repo, commit, path, start = 0) {
    const url = `${this.endpoint}/${repo}/resolve/${commit}/${encodeRepoPath(path)}`;
    const res = await this.send(url, this.target(repo, commit, path), {
      headers: start > 0 ? { range: `bytes=${start}-` } : {}
    });
    let skip = 0;
    let size;
    const cr = /^bytes (\d+)-\d+\/(\d+)$/.exec(client_header(res, "content-range") ?? "");
    if (res.status === 206 && cr) {
      size = Number(cr[2]);
      if (Number(cr[1]) !== start) throw new Error(`asked for bytes from ${start}, got from ${cr[1]}`);
    } else {
      const len = client_header(res, "content-length");
      size = len === void 0 ? void 0 : Number(len);
      skip = start;
    }
    const stallMs = this.stallMs;
    async function* chunks() {
      for await (const c of readChunks(res.body, stallMs, res.url)) {
        if (skip >= c.length) {
          skip -= c.length;
          continue;
        }
        yield skip > 0 ? c.subarray(skip) : c;
        skip = 0;
      }
    }
    return { size, start, chunks: chunks(), close: () => res.body.destroy() };
  }
}


;// CONCATENATED MODULE: ./.tmp/ncc-src/src/hf/manifest.js
function buildManifest(repo, revision, commit, files, now) {
  return {
    version: 1,
    repo,
    revision,
    commit,
    syncedAt: now.toISOString(),
    files: files.map(({ file, sha256 }) => ({
      path: file.path,
      size: file.size,
      sha256,
      gitOid: file.gitOid,
      lfs: file.sha256 !== void 0
    })).sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
  };
}
function parseManifest(text) {
  if (!text) return void 0;
  try {
    const m = JSON.parse(text);
    const ok = m?.version === 1 && typeof m.commit === "string" && Array.isArray(m.files) && m.files.every(
      (f) => typeof f.path === "string" && Number.isSafeInteger(f.size) && /^([0-9a-f]{64})?$/.test(f.sha256) && typeof f.gitOid === "string"
    );
    return ok ? m : void 0;
  } catch {
    return void 0;
  }
}
const sameContent = (m, f) => m.size === f.size && (f.sha256 !== void 0 ? m.sha256 === f.sha256 : m.gitOid === f.gitOid);
function manifestCovers(m, commit, selected) {
  if (m.commit !== commit) return false;
  const byPath = new Map(m.files.map((f) => [f.path, f]));
  return selected.every((f) => {
    const e = byPath.get(f.path);
    return e !== void 0 && sameContent(e, f);
  });
}
function objectMeta(file, sha256, commit) {
  return { sha256, "hf-commit": commit, size: String(file.size), "git-oid": file.gitOid };
}
function objectHolds(head, file) {
  if (!head || head.size !== file.size) return false;
  return file.sha256 !== void 0 ? head.meta.sha256 === file.sha256 : head.meta["git-oid"] === file.gitOid;
}
function findEarlierCopy(manifests, file) {
  for (const { prefix, manifest } of manifests) {
    const same = manifest.files.find((m) => sameContent(m, file));
    if (same) return { key: prefix + same.path, sha256: same.sha256 };
  }
  return void 0;
}


// EXTERNAL MODULE: ./node_modules/minimatch/dist/esm/index.js + 8 modules
var esm = __webpack_require__(91138);
;// CONCATENATED MODULE: ./.tmp/ncc-src/src/hf/select.js

const DEFAULT_INCLUDE = [
  "config*.json",
  "generation_config.json",
  "tokenizer*",
  "special_tokens_map.json",
  "added_tokens.json",
  "vocab*",
  "merges.txt",
  "*.safetensors",
  "model.safetensors.index.json",
  "*.safetensors.index.json",
  "*.bin",
  "*.bin.index.json"
];
const DEFAULT_EXCLUDE = [
  "*.h5",
  "*.msgpack",
  "*.onnx",
  "*.onnx_data",
  "onnx/**",
  "flax_model*",
  "tf_model*",
  "*.tflite",
  "*.ot",
  "rust_model*",
  "coreml/**",
  "training_args.bin",
  "optimizer.pt",
  "original/**"
];
const matches = (path, pattern) => (0,esm/* minimatch */.xF)(path, pattern, { dot: true, matchBase: !pattern.includes("/"), nocomment: true });
const isPytorchWeights = (p) => /(^|\/)pytorch_model[^/]*\.bin(\.index\.json)?$/.test(p) || /\.bin$/.test(p);
const isSafetensors = (p) => /\.safetensors$/.test(p);
function selectFiles(files, include = [], exclude = []) {
  const inc = include.length > 0 ? include : DEFAULT_INCLUDE;
  const exc = exclude.length > 0 ? exclude : DEFAULT_EXCLUDE;
  const left = [];
  let selected = files.filter((f) => {
    if (!inc.some((p) => matches(f.path, p))) return left.push({ path: f.path, why: "not included" }) < 0;
    const ex = exc.find((p) => matches(f.path, p));
    if (ex) return left.push({ path: f.path, why: `excluded by ${ex}` }) < 0;
    return true;
  });
  if (include.length === 0 && selected.some((f) => isSafetensors(f.path))) {
    selected = selected.filter((f) => {
      if (!isPytorchWeights(f.path)) return true;
      left.push({ path: f.path, why: "pytorch weights, safetensors present" });
      return false;
    });
  }
  return { selected, left };
}


// EXTERNAL MODULE: ./.tmp/ncc-src/src/oss/client.js
var client = __webpack_require__(56035);
;// CONCATENATED MODULE: ./.tmp/ncc-src/src/oss/progress.js
function formatBytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}
function formatRate(bytes, ms) {
  if (ms <= 0) return "- MB/s";
  return `${(bytes / 1e6 / (ms / 1e3)).toFixed(1)} MB/s`;
}
function formatDuration(ms) {
  const s = Math.round(ms / 1e3);
  if (s < 60) return ms < 1e4 ? `${(ms / 1e3).toFixed(1)}s` : `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}
class FileProgress {
  constructor(label, size, print, now, intervalMs) {
    this.label = label;
    this.size = size;
    this.print = print;
    this.now = now;
    this.intervalMs = intervalMs;
    this.started = now();
    this.last = this.started;
  }
  label;
  size;
  print;
  now;
  intervalMs;
  last;
  started;
  /** Called as bytes pass; prints when the interval has passed and the file is not finished. */
  update(position) {
    const t = this.now();
    if (t - this.last < this.intervalMs || position >= this.size) return;
    this.last = t;
    const elapsed = t - this.started;
    const pct = this.size > 0 ? Math.floor(position / this.size * 100) : 100;
    const rate = elapsed > 0 ? position / elapsed : 0;
    const eta = rate > 0 ? formatDuration((this.size - position) / rate) : "?";
    this.print(
      `  ${this.label}: ${formatBytes(position)} / ${formatBytes(this.size)} (${pct}%), ${formatRate(position, elapsed)}, ETA ${eta}`
    );
  }
}


// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/oss/crc64.js
var crc64 = __webpack_require__(4734);
;// CONCATENATED MODULE: ./.tmp/ncc-src/src/oss/digest.js


class StreamDigest {
  constructor(sha256, sha1, crc, bytes) {
    this.sha256 = sha256;
    this.sha1 = sha1;
    this.crc = crc;
    this.bytes = bytes;
  }
  sha256;
  sha1;
  crc;
  bytes;
  /** `gitBlobSize`: also compute the git blob sha1 of content of that size. */
  static start(gitBlobSize) {
    let sha1;
    if (gitBlobSize !== void 0) sha1 = (0,external_node_crypto_.createHash)("sha1").update(`blob ${gitBlobSize}\0`);
    return new StreamDigest((0,external_node_crypto_.createHash)("sha256"), sha1, crc64/* CRC64_EMPTY */.jT, 0);
  }
  /** Hash bytes as they arrive (the CRC is added per part, see `addPart`). */
  update(chunk) {
    this.sha256.update(chunk);
    this.sha1?.update(chunk);
    this.bytes += chunk.length;
  }
  /** Extend the running CRC by a finished part's CRC. */
  addPartCrc(partCrc, partLength) {
    this.crc = (0,crc64/* crc64Combine */.GU)(this.crc, partCrc, partLength);
  }
  get size() {
    return this.bytes;
  }
  copy() {
    return new StreamDigest(this.sha256.copy(), this.sha1?.copy(), this.crc, this.bytes);
  }
  digest() {
    return {
      sha256: this.sha256.copy().digest("hex"),
      gitSha1: this.sha1?.copy().digest("hex"),
      crc64: this.crc,
      size: this.bytes
    };
  }
}


;// CONCATENATED MODULE: ./.tmp/ncc-src/src/oss/upload.js






class PartPool {
  constructor(partSize, slots) {
    this.partSize = partSize;
    this.slots = slots;
  }
  partSize;
  slots;
  free = [];
  created = 0;
  waiters = [];
  async acquire(signal) {
    signal?.throwIfAborted();
    const b = this.free.pop();
    if (b) return b;
    if (this.created < this.slots) {
      this.created++;
      return Buffer.allocUnsafeSlow(this.partSize);
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== take);
        reject(signal?.reason);
      };
      const take = (buf) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(buf);
      };
      this.waiters.push(take);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
  release(buf) {
    const w = this.waiters.shift();
    if (w) w(buf);
    else this.free.push(buf);
  }
}
class Progressed extends Error {
  constructor(inner) {
    super("progressed");
    this.inner = inner;
  }
  inner;
}
const md5Etag = (buf) => (0,external_node_crypto_.createHash)("md5").update(buf).digest("hex");
const sameEtag = (etag, md5) => etag.replace(/"/g, "").toLowerCase() === md5;
class Uploader {
  constructor(store, pool, opts) {
    this.store = store;
    this.pool = pool;
    this.opts = opts;
  }
  store;
  pool;
  opts;
  upload(spec, ev = {}) {
    return spec.size <= this.pool.partSize && !spec.resumeUploadId ? this.single(spec, ev) : this.multipart(spec, ev);
  }
  /** Runs `read` until it succeeds; resets the attempt count whenever a read made progress before failing. */
  async withSourceRetries(what, read) {
    for (; ; ) {
      try {
        return await (0,retry/* retry */.L5)(
          async () => {
            let moved = false;
            try {
              await read(() => moved = true);
            } catch (err) {
              if (moved && this.opts.isRetryableSourceError(err) && !this.opts.signal?.aborted)
                throw new Progressed(err);
              throw err;
            }
          },
          {
            attempts: this.opts.attempts,
            retryable: (e) => !(e instanceof Progressed) && this.opts.isRetryableSourceError(e),
            signal: this.opts.signal,
            sleep: this.opts.sleep,
            random: this.opts.random,
            onRetry: (err, attempt, delay) => this.opts.onRetry?.(what, err, attempt, delay)
          }
        );
      } catch (err) {
        if (err instanceof Progressed) continue;
        throw err;
      }
    }
  }
  async single(spec, ev) {
    const buf = await this.pool.acquire(this.opts.signal);
    try {
      let digest = StreamDigest.start(spec.gitBlob ? spec.size : void 0);
      await this.withSourceRetries(spec.key, async () => {
        digest = StreamDigest.start(spec.gitBlob ? spec.size : void 0);
        const src = await spec.source.open(0);
        let fill = 0;
        try {
          for await (const chunk of src.chunks) {
            if (fill + chunk.length > spec.size) throw tooLong(spec);
            chunk.copy(buf, fill);
            digest.update(chunk);
            fill += chunk.length;
            ev.position?.(fill);
          }
        } finally {
          src.close();
        }
        if (fill !== spec.size) throw endedEarly(fill, spec.size);
      });
      const body = buf.subarray(0, spec.size);
      digest.addPartCrc((0,crc64/* crc64 */.d9)(body), spec.size);
      const d = digest.digest();
      spec.verify(d);
      this.opts.signal?.throwIfAborted();
      await this.store.putObject(spec.key, body, spec.meta(d));
      return { digests: d, multipart: false, sentBytes: spec.size, keptParts: 0 };
    } finally {
      this.pool.release(buf);
    }
  }
  async multipart(spec, ev) {
    const partSize = this.pool.partSize;
    const nParts = Math.max(1, Math.ceil(spec.size / partSize));
    const lenOf = (n) => n < nParts ? partSize : spec.size - (nParts - 1) * partSize;
    let earlier = /* @__PURE__ */ new Map();
    let uploadId = spec.resumeUploadId;
    if (uploadId) {
      try {
        earlier = new Map((await this.store.listParts(spec.key, uploadId)).map((p) => [p.number, p]));
      } catch {
        uploadId = void 0;
      }
    }
    uploadId ??= await this.store.initUpload(spec.key, spec.meta());
    ev.uploadStarted?.(uploadId);
    const id = uploadId;
    const done = /* @__PURE__ */ new Map();
    const boundaries = /* @__PURE__ */ new Map([[1, StreamDigest.start(spec.gitBlob ? spec.size : void 0)]]);
    const inflight = /* @__PURE__ */ new Set();
    let failed;
    let sentBytes = 0;
    let keptParts = 0;
    let next = 1;
    const settle = async () => {
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
      if (failed) throw failed.err;
    };
    const finishPart = (n, buf, len, digest) => {
      const body = buf.subarray(0, len);
      const partCrc = (0,crc64/* crc64 */.d9)(body);
      digest.addPartCrc(partCrc, len);
      boundaries.set(n + 1, digest.copy());
      const prior = earlier.get(n);
      if (prior && prior.size === len && sameEtag(prior.etag, md5Etag(body))) {
        done.set(n, prior);
        keptParts++;
        this.pool.release(buf);
        return;
      }
      const p = this.store.uploadPart(spec.key, id, n, body, partCrc).then((part) => {
        done.set(n, part);
        sentBytes += len;
      }).catch((err) => {
        failed ??= { err };
      }).finally(() => {
        this.pool.release(buf);
        inflight.delete(p);
      });
      inflight.add(p);
    };
    try {
      await this.withSourceRetries(spec.key, async (progressed) => {
        if (next > 1 || done.size > 0) {
          await settle();
          const have = new Map((await this.store.listParts(spec.key, id)).map((p) => [p.number, p]));
          let first = 1;
          while (first < next && have.get(first)?.size === lenOf(first)) first++;
          next = Math.min(next, first);
        }
        if (next > nParts) return;
        const start = (next - 1) * partSize;
        const digest = boundaries.get(next).copy();
        const src = await spec.source.open(start);
        let buf;
        let fill = 0;
        let pos = start;
        try {
          buf = await this.pool.acquire(this.opts.signal);
          for await (const chunk of src.chunks) {
            for (let off = 0; off < chunk.length; ) {
              if (next > nParts) throw tooLong(spec);
              const len = lenOf(next);
              const part = buf;
              const piece = chunk.subarray(off, off + Math.min(len - fill, chunk.length - off));
              piece.copy(part, fill);
              digest.update(piece);
              fill += piece.length;
              off += piece.length;
              pos += piece.length;
              ev.position?.(pos);
              if (fill === len) {
                finishPart(next, part, len, digest);
                buf = void 0;
                fill = 0;
                next++;
                progressed();
                if (failed) throw failed.err;
                if (next <= nParts) buf = await this.pool.acquire(this.opts.signal);
              }
            }
          }
          if (next <= nParts) throw endedEarly(pos, spec.size);
        } catch (err) {
          if (this.opts.isRetryableSourceError(err) && !failed)
            ev.resumed?.(Math.min(pos, (next - 1) * partSize), next, err);
          throw err;
        } finally {
          if (buf) this.pool.release(buf);
          src.close();
        }
      });
      await settle();
      const d = boundaries.get(nParts + 1).digest();
      spec.verify(d);
      this.opts.signal?.throwIfAborted();
      const parts = Array.from({ length: nParts }, (_, i) => done.get(i + 1));
      const reported = await this.store.complete(spec.key, id, parts) ?? (await this.store.head(spec.key))?.crc64;
      ev.uploadEnded?.(id);
      if (reported !== void 0 && reported !== d.crc64) {
        await this.store.delete(spec.key).catch(() => void 0);
        throw (0,client/* crcMismatch */.v7)(spec.key, d.crc64, reported);
      }
      return { digests: d, multipart: true, sentBytes, keptParts };
    } catch (err) {
      await Promise.allSettled([...inflight]);
      if (!(err instanceof errors/* PipelineError */.zC && err.code === "OSS_CHECKSUM_MISMATCH")) {
        try {
          await this.store.abort(spec.key, id);
          ev.uploadEnded?.(id);
        } catch {
        }
      }
      throw err;
    }
  }
}
function endedEarly(at, size) {
  return Object.assign(new Error(`the download ended at byte ${at} of ${size}`), {
    code: "ERR_STREAM_PREMATURE_CLOSE"
  });
}
function tooLong(spec) {
  return new errors/* PipelineError */.zC(
    "SYNC_SIZE_MISMATCH",
    `${spec.key}: the hub sent more than the ${spec.size} bytes its file list gives.`,
    "The file changed on the hub or the mirror serves other content; re-run the job."
  );
}


;// CONCATENATED MODULE: ./.tmp/ncc-src/src/stages/sync.js










const HEADS_IN_PARALLEL = 16;
const COPY_LIMIT = 1024 ** 3;
function clients(ctx, deps, signal) {
  const cfg = ctx.config;
  const attempts = Math.max(1, cfg.sync.retries);
  const onRetry = (what, err, attempt, delay) => ctx.log.info(
    `  retrying ${what} in ${formatDuration(delay)} (attempt ${attempt + 1} of ${attempts}): ${(0,errors/* describeError */.Uc)(err)}`
  );
  if (cfg.hf.token) ctx.log.secret(cfg.hf.token);
  const hub = new HubClient({
    endpoint: cfg.hf.endpoint,
    token: cfg.hf.token,
    attempts,
    stallMs: deps.stallMs,
    signal,
    sleep: deps.sleep,
    random: deps.random,
    now: deps.now,
    onRetry
  });
  const store = client/* OssStore */.$Z.fromConfig(cfg.oss, { attempts, signal, sleep: deps.sleep, random: deps.random, onRetry });
  return { hub, store };
}
async function discover(r) {
  const { cfg, hub, ctx } = r;
  const info = await hub.resolveRevision(cfg.model.repo, cfg.model.revision);
  ctx.state.commit = info.commit;
  const files = await hub.listFiles(cfg.model.repo, info.commit);
  const { selected, left } = selectFiles(files, cfg.hf.include, cfg.hf.exclude);
  ctx.log.info(
    `${cfg.model.repo}@${cfg.model.revision} is commit ${info.commit}: ${files.length} files, ${selected.length} selected (${formatBytes(total(selected))})`
  );
  for (const l of left) ctx.log.debug(`  not synced: ${l.path} (${l.why})`);
  if (selected.length === 0) {
    throw new errors/* PipelineError */.zC(
      "SYNC_NOTHING_SELECTED",
      `No file of ${cfg.model.repo} at ${info.commit} matches the include/exclude patterns.`,
      'Check the hf-include and hf-exclude inputs (minimatch globs; a pattern without "/" matches file names in any folder).'
    );
  }
  return { commit: info.commit, selected, gated: info.gated !== false };
}
const total = (files) => files.reduce((s, f) => s + f.size, 0);
async function manifestStillValid(r, manifest, prefix) {
  const limit = (0,p_limit/* default */.A)(HEADS_IN_PARALLEL);
  const checks = manifest.files.map(
    (f) => limit(async () => {
      const head = await r.store.head(prefix + f.path);
      if (head === void 0 || head.size !== f.size) return false;
      return f.lfs ? head.meta.sha256 === f.sha256 : head.meta["git-oid"] === f.gitOid;
    })
  );
  return (await Promise.all(checks)).every(Boolean);
}
async function earlierManifests(r, commit) {
  const modelPrefix = (0,layout/* hfPrefix */.ne)(r.cfg, commit).slice(0, -(commit.length + 1));
  const { prefixes } = await r.store.list(modelPrefix, "/");
  const others = prefixes.filter((p) => p !== (0,layout/* hfPrefix */.ne)(r.cfg, commit)).slice(-20);
  const found = await Promise.all(
    others.map(async (prefix) => ({
      prefix,
      manifest: parseManifest(await r.store.getText(prefix + ".sync-manifest.json"))
    }))
  );
  return found.filter((f) => f.manifest !== void 0);
}
function hashMismatch(file, d) {
  const [kind, want, got] = file.sha256 !== void 0 ? ["sha256", file.sha256, d.sha256] : ["git blob sha1", file.gitOid, d.gitSha1];
  if (want === got && d.size === file.size) return void 0;
  return new errors/* PipelineError */.zC(
    "SYNC_HASH_MISMATCH",
    `${file.path}: the bytes downloaded do not match the hub's listing (${kind} ${got}, expected ${want}; ${d.size} bytes, expected ${file.size}). The upload was aborted; nothing was written.`,
    "The download was corrupted in transit twice, or the mirror serves other content than it lists; re-run, or use hf-endpoint https://huggingface.co."
  );
}
async function syncFile(r, uploader, file, commit, prefix, resumeId, earlier) {
  const { ctx, cfg, store, hub } = r;
  const key = prefix + file.path;
  const head = await store.head(key);
  if (objectHolds(head, file)) {
    ctx.log.info(`skipped ${file.path} (${formatBytes(file.size)}): already in OSS with the same hash`);
    return { file, sha256: head.meta.sha256, action: "kept", sentBytes: 0 };
  }
  const source = findEarlierCopy(earlier, file);
  if (source && file.size <= COPY_LIMIT) {
    const src = await store.head(source.key);
    if (objectHolds(src, file)) {
      try {
        await store.copy(source.key, key, objectMeta(file, source.sha256, commit));
        ctx.log.info(
          `copied ${file.path} (${formatBytes(file.size)}) in OSS from ${source.key}: unchanged since that commit`
        );
        return { file, sha256: source.sha256, action: "copied", sentBytes: 0 };
      } catch (err) {
        ctx.log.debug(`server-side copy of ${file.path} failed (${(0,errors/* describeError */.Uc)(err)}); streaming it instead`);
      }
    }
  }
  const started = r.deps.now();
  ctx.log.info(`start ${file.path} (${formatBytes(file.size)})${resumeId ? ", continuing an unfinished upload" : ""}`);
  const progress = new FileProgress(
    file.path,
    file.size,
    (l) => ctx.log.info(l),
    r.deps.now,
    r.deps.progressIntervalMs
  );
  const record = (uploadId) => ({
    kind: "multipart-upload",
    bucket: cfg.oss.bucket,
    key,
    uploadId
  });
  let lastError;
  for (let round = 1; round <= 2; round++) {
    let expected;
    try {
      const result = await uploader.upload(
        {
          key,
          size: file.size,
          meta: (d) => objectMeta(file, file.sha256 ?? d?.sha256 ?? "", commit),
          gitBlob: file.sha256 === void 0,
          resumeUploadId: round === 1 ? resumeId : void 0,
          source: { open: (start) => hub.open(cfg.model.repo, commit, file.path, start) },
          verify: (d) => {
            const bad = hashMismatch(file, d);
            if (bad) throw bad;
            expected = d.sha256;
          }
        },
        {
          position: (p) => progress.update(p),
          uploadStarted: (id) => ctx.cleanup.add(record(id)),
          uploadEnded: (id) => ctx.cleanup.remove(record(id)),
          resumed: (offset, part, err) => ctx.log.info(`  ${file.path}: ${(0,errors/* describeError */.Uc)(err)}; resuming at byte ${offset} (part ${part})`)
        }
      );
      const ms = r.deps.now() - started;
      const kept = result.keptParts > 0 ? `, ${result.keptParts} parts kept from an earlier run` : "";
      ctx.log.info(
        `done ${file.path} (${formatBytes(file.size)}) in ${formatDuration(ms)}, ${formatRate(file.size, ms)}${kept}`
      );
      return { file, sha256: result.digests.sha256 ?? expected, action: "sent", sentBytes: result.sentBytes };
    } catch (err) {
      if (err instanceof errors/* PipelineError */.zC && err.code === "SYNC_HASH_MISMATCH" && round === 1) {
        ctx.log.warning(`${file.path}: ${err.message} Trying once more.`);
        lastError = err;
        continue;
      }
      throw fileFailed(file, err);
    }
  }
  throw lastError;
}
function fileFailed(file, err) {
  if (err instanceof errors/* PipelineError */.zC) return err;
  if (isRetryableHubError(err)) {
    return new errors/* PipelineError */.zC(
      "SYNC_FILE_FAILED",
      `Downloading ${file.path} kept failing without progress: ${(0,errors/* describeError */.Uc)(err)}.`,
      "The hub or its CDN is unstable from this runner; re-run the job (finished files and parts already in OSS are kept).",
      { cause: err }
    );
  }
  return err;
}
async function transferAll(r, stop, commit, selected) {
  const { cfg, ctx, store } = r;
  const prefix = (0,layout/* hfPrefix */.ne)(cfg, commit);
  const unfinished = new Map((await store.listUploads(prefix)).map((u) => [u.key, u.uploadId]));
  const earlier = await earlierManifests(r, commit);
  const uploader = new Uploader(store, new PartPool(cfg.sync.partSizeBytes, cfg.sync.partsInFlight), {
    attempts: Math.max(1, cfg.sync.retries),
    isRetryableSourceError: isRetryableHubError,
    signal: stop.signal,
    sleep: r.deps.sleep,
    random: r.deps.random,
    onRetry: (what, err, attempt, delay) => ctx.log.info(`  retrying ${what} in ${formatDuration(delay)} (attempt ${attempt + 1}): ${(0,errors/* describeError */.Uc)(err)}`)
  });
  const limit = (0,p_limit/* default */.A)(cfg.sync.filesInParallel);
  let firstError;
  const results = await Promise.all(
    selected.map(
      (f) => limit(async () => {
        if (stop.signal.aborted) return void 0;
        try {
          return await syncFile(r, uploader, f, commit, prefix, unfinished.get(prefix + f.path), earlier);
        } catch (err) {
          firstError ??= { err };
          stop.abort(err);
          return void 0;
        }
      })
    )
  );
  if (ctx.signal.aborted) throw cancelled(ctx.signal.reason);
  if (firstError) throw firstError.err;
  return results;
}
function doneOutcome(done, ms, outputs, commit) {
  const count = (a) => done.filter((d) => d.action === a).length;
  const sentBytes = done.reduce((s, d) => s + d.sentBytes, 0);
  const copied = count("copied") > 0 ? `, ${count("copied")} copied in OSS from an earlier commit` : "";
  return {
    status: "done",
    summary: `${count("sent")} files sent (${formatBytes(sentBytes)}), ${count("kept")} already there${copied}, to ${outputs["oss-hf-uri"]} in ${formatDuration(ms)} (${formatRate(sentBytes, ms)})`,
    details: {
      commit,
      files: done.length,
      "files synced": count("sent"),
      "files skipped": count("kept"),
      "files copied": count("copied"),
      bytes: sentBytes,
      "throughput MB/s": Math.round(sentBytes / 1e6 / Math.max(ms, 1) * 1e3 * 10) / 10
    },
    outputs
  };
}
async function run(ctx, deps) {
  const cfg = ctx.config;
  const stop = new AbortController();
  const onCancel = () => stop.abort(ctx.signal.reason);
  ctx.signal.addEventListener("abort", onCancel, { once: true });
  if (ctx.signal.aborted) onCancel();
  const { hub, store } = clients(ctx, deps, stop.signal);
  const now = deps.now ?? Date.now;
  const r = {
    ctx,
    cfg,
    hub,
    store,
    signal: stop.signal,
    deps: { ...deps, now, progressIntervalMs: deps.progressIntervalMs ?? 5e3 }
  };
  const started = now();
  try {
    const { commit, selected } = await discover(r);
    const prefix = (0,layout/* hfPrefix */.ne)(cfg, commit);
    const outputs = { "hf-commit": commit, "oss-hf-uri": (0,layout/* ossUri */.uf)(cfg, prefix) };
    const manifest = parseManifest(await store.getText((0,layout/* syncManifestKey */.y1)(cfg, commit)));
    if (manifest && manifestCovers(manifest, commit, selected) && await manifestStillValid(r, manifest, prefix)) {
      return {
        status: "skipped",
        summary: `${manifest.files.length} files (${formatBytes(total(manifest.files))}) already in ${outputs["oss-hf-uri"]}, checked`,
        details: { files: manifest.files.length, bytes: total(manifest.files), commit },
        outputs
      };
    }
    await hub.checkDownloadAccess(cfg.model.repo, commit, selected[0].path);
    const done = await transferAll(r, stop, commit, selected);
    const m = buildManifest(cfg.model.repo, cfg.model.revision, commit, done, new Date(now()));
    await store.putObject(
      (0,layout/* syncManifestKey */.y1)(cfg, commit),
      Buffer.from(JSON.stringify(m, null, 2) + "\n"),
      { "hf-commit": commit },
      "application/json"
    );
    return doneOutcome(done, now() - started, outputs, commit);
  } catch (err) {
    if (ctx.signal.aborted && !(err instanceof errors/* PipelineError */.zC && err.code === "SYNC_CANCELLED"))
      throw cancelled(ctx.signal.reason);
    throw err;
  } finally {
    ctx.signal.removeEventListener("abort", onCancel);
  }
}
function cancelled(reason) {
  return new errors/* PipelineError */.zC(
    "SYNC_CANCELLED",
    `The sync was cancelled (${(0,errors/* describeError */.Uc)(reason ?? "signal")}); unfinished uploads were aborted.`,
    "Re-run the job: files already complete in OSS are kept and skipped."
  );
}
async function plan(ctx, deps) {
  const { hub, store } = clients(ctx, deps, ctx.signal);
  const r = { ctx, cfg: ctx.config, hub };
  const { commit, selected } = await discover(r);
  const manifest = parseManifest(await store.getText((0,layout/* syncManifestKey */.y1)(ctx.config, commit)));
  if (manifest && manifestCovers(manifest, commit, selected)) {
    return {
      action: "skip",
      reason: `commit ${commit} already synced to ${(0,layout/* ossUri */.uf)(ctx.config, (0,layout/* hfPrefix */.ne)(ctx.config, commit))} (manifest present)`
    };
  }
  return {
    action: "run",
    reason: `stream ${selected.length} files (${formatBytes(total(selected))}) of ${ctx.config.model.repo}@${commit} to ${(0,layout/* ossUri */.uf)(ctx.config, (0,layout/* hfPrefix */.ne)(ctx.config, commit))}`
  };
}
function createSyncStage(deps = {}) {
  return { name: "sync", run: (ctx) => run(ctx, deps), plan: (ctx) => plan(ctx, deps) };
}
const syncStage = createSyncStage();



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
