export const id = 405;
export const ids = [405];
export const modules = {

/***/ 53405:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  abortUploads: () => (/* binding */ abortUploads)
});

// UNUSED EXPORTS: isUploadRecord, ossConfigFromInputs, registerUploadCleanup

// EXTERNAL MODULE: ./.tmp/ncc-src/src/errors.js
var errors = __webpack_require__(45059);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/config/load.js + 6 modules
var load = __webpack_require__(99721);
// EXTERNAL MODULE: ./.tmp/ncc-src/src/pipeline/cleanup.js
var cleanup = __webpack_require__(35725);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(57075);
// EXTERNAL MODULE: ./node_modules/ali-oss/lib/client.js
var client = __webpack_require__(14391);
;// CONCATENATED MODULE: ./.tmp/ncc-src/src/util/retry.js
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


;// CONCATENATED MODULE: ./.tmp/ncc-src/src/oss/crc64.js
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


;// CONCATENATED MODULE: ./.tmp/ncc-src/src/oss/client.js





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
  if (err instanceof errors/* PipelineError */.zC) return false;
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
  if (err instanceof errors/* PipelineError */.zC) return err;
  const e = err;
  const cause = describeOss(err);
  switch (e.code) {
    case "AccessDenied":
    case "InvalidAccessKeyId":
    case "SignatureDoesNotMatch":
    case "SecurityTokenExpired":
    case "InvalidSecurityToken":
      return new errors/* PipelineError */.zC(
        "OSS_ACCESS_DENIED",
        `OSS refused ${what} in bucket ${bucket} (${cause}).`,
        e.code === "SecurityTokenExpired" ? "The STS token expired: request a new one (e.g. a longer role session) and re-run." : "Check oss-access-key-id / oss-access-key-secret (and oss-security-token for STS) and that the RAM policy allows oss:PutObject, GetObject, ListObjects, ListParts and AbortMultipartUpload on the bucket.",
        { cause: err }
      );
    case "RequestTimeTooSkewed":
      return new errors/* PipelineError */.zC(
        "OSS_CLOCK_SKEW",
        `OSS refused ${what}: the runner's clock is off by more than 15 minutes.`,
        "Fix the runner's clock (NTP) and re-run.",
        { cause: err }
      );
    case "NoSuchBucket":
      return new errors/* PipelineError */.zC(
        "OSS_NO_SUCH_BUCKET",
        `Bucket ${bucket} does not exist at this endpoint (${cause}).`,
        "Check the oss-bucket, oss-region and oss-endpoint inputs.",
        { cause: err }
      );
  }
  if (isRetryableOssError(err)) {
    return new errors/* PipelineError */.zC(
      "OSS_UNAVAILABLE",
      `OSS failed ${what} after ${attempts} attempts (${cause}).`,
      "OSS was unavailable or the network unstable; re-run the job (finished files are skipped).",
      { cause: err }
    );
  }
  return new errors/* PipelineError */.zC(
    "OSS_REQUEST_FAILED",
    `OSS failed ${what} (${cause}).`,
    "Check the OSS inputs (endpoint, region, bucket) and re-run.",
    { cause: err }
  );
}
function crcMismatch(what, ours, theirs) {
  return new errors/* PipelineError */.zC(
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
    return new OssStore(new client(ossClientOptions(cfg)), cfg.bucket, opts);
  }
  async call(what, fn) {
    let attempts = 0;
    try {
      return await retry(
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
    const ours = crc64(body);
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
        stream: external_node_stream_.Readable.from([body], { objectMode: false })
      })
    );
    const theirs = r.res.headers["x-oss-hash-crc64ecma"];
    if (theirs !== void 0) {
      const ours = partCrc ?? crc64(body);
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


;// CONCATENATED MODULE: ./.tmp/ncc-src/src/oss/cleanup.js




const isUploadRecord = (r) => r.kind === "multipart-upload";
async function abortUploads(cfg, records, opts = {}) {
  const store = opts.store ?? OssStore.fromConfig(cfg, { attempts: opts.attempts ?? 3 });
  const aborted = [];
  const failed = [];
  for (const r of records.filter(isUploadRecord)) {
    if (r.bucket !== cfg.bucket) {
      failed.push({ record: r, error: `bucket ${r.bucket} is not the configured bucket ${cfg.bucket}` });
      continue;
    }
    try {
      await store.abort(r.key, r.uploadId);
      aborted.push(r);
    } catch (err) {
      failed.push({ record: r, error: (0,errors/* describeError */.Uc)(err) });
    }
  }
  return { aborted, failed };
}
function ossConfigFromInputs(env) {
  const getInput = (name) => env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`];
  return loadConfig({ getInput, env, workspace: env.GITHUB_WORKSPACE }).oss;
}
function registerUploadCleanup(ossConfig = ossConfigFromInputs) {
  registerCleanupHandler("multipart-upload", async (record, ctx) => {
    const { failed } = await abortUploads(ossConfig(ctx.env), [record]);
    if (failed.length > 0) throw new Error(failed[0].error);
  });
}



/***/ })

};
