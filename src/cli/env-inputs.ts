/**
 * Where the CLI finds the action's inputs: `--set name=value`, then `ARENA_FT_<NAME>` environment variables
 * (`oss-access-key-id` → ARENA_FT_OSS_ACCESS_KEY_ID), then the conventional variables below.
 */
export const CONVENTIONAL_ENV: Readonly<Record<string, string>> = {
  'hf-token': 'HF_TOKEN',
  'hf-endpoint': 'HF_ENDPOINT',
  'oss-access-key-id': 'OSS_ACCESS_KEY_ID',
  'oss-access-key-secret': 'OSS_ACCESS_KEY_SECRET',
  'oss-security-token': 'OSS_SECURITY_TOKEN'
};

export function envName(input: string): string {
  return `ARENA_FT_${input.replace(/-/g, '_').toUpperCase()}`;
}

export function inputGetter(
  sets: Readonly<Record<string, string>>,
  env: NodeJS.ProcessEnv
): (name: string) => string | undefined {
  return (name) =>
    sets[name] ?? env[envName(name)] ?? (CONVENTIONAL_ENV[name] ? env[CONVENTIONAL_ENV[name]] : undefined);
}

/** `name=value` pairs from repeated `--set` options. */
export function parseSets(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--set takes name=value, got "${pair.slice(0, 60)}"`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}
