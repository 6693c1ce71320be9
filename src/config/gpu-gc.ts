/**
 * The GPU-cost and gc inputs: their range checks and the one duration form with days (`7d`) that a retention
 * needs. Kept apart from load.ts so the loader only gains two calls.
 */

/** "604800", "7d", "36h", "1d12h", "90m" → seconds; NaN when not of that form. */
export function parseRetention(s: string): number {
  if (/^\d+$/.test(s)) return Number(s);
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(s);
  if (!m || s === '') return NaN;
  return Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
}

/** The longest TTL Arena takes: `ttlSecondsAfterFinished` is an int32 (kubeflow/arena v0.15.2 pytorchjob_builder.go). */
const MAX_TTL_SECONDS = 30 * 86400;

/** [input, what is wrong] for each GPU-cost or gc input out of range (the schema already checked the form). */
export function gpuAndGcProblems(val: (name: string) => string): [string, string][] {
  const out: [string, string][] = [];
  const ttl = parseRetention(val('convert-ttl'));
  // shorter than 10 minutes, the operator could delete the job before the stage has read its log and status
  if (!(ttl >= 600 && ttl <= MAX_TTL_SECONDS)) out.push(['convert-ttl', 'is out of range (10m to 720h)']);
  const price = val('gpu-price-per-hour');
  if (price !== '' && !(Number(price) >= 0 && Number(price) <= 1e6))
    out.push(['gpu-price-per-hour', 'is out of range']);
  const retention = parseRetention(val('gc-retention'));
  if (!(retention >= 3600 && retention <= 365 * 86400)) out.push(['gc-retention', 'is out of range (1h to 365d)']);
  const window = parseRetention(val('gc-idle-window'));
  if (!(window >= 10 && window <= 3600)) out.push(['gc-idle-window', 'is out of range (10s to 1h)']);
  return out;
}
