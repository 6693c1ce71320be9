/**
 * Command-line flags the way Arena's cobra/pflag parse them: `--f=v`, `--f v`, `-n v`, `-nv`, bool flags
 * without a value, repeatable string arrays, Go durations, positionals anywhere, `--` ends flags. Errors use
 * pflag's wording.
 */

export type FlagType = 'string' | 'int' | 'bool' | 'stringArray' | 'duration';

export interface FlagSpec {
  name: string;
  short?: string;
  type: FlagType;
  default?: string | number | boolean;
  usage: string;
}

export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

export class FlagError extends Error {}

const UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Go's time.ParseDuration, in seconds. */
export function parseGoDuration(s: string): number {
  if (s === '0') return 0;
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(s);
  if (!m) {
    if (/^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(s)) throw new Error(`time: missing unit in duration "${s}"`);
    throw new Error(`time: invalid duration "${s}"`);
  }
  let total = 0;
  for (const part of s.replace(/^[-+]/, '').matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g))
    total += Number(part[1]) * UNITS[part[2]];
  return m[1] === '-' ? -total : total;
}

export function parseFlags(specs: FlagSpec[], argv: string[]): { flags: FlagValues; args: string[]; help: boolean } {
  const flags: FlagValues = {};
  for (const s of specs) flags[s.name] = s.type === 'stringArray' ? [] : s.default;
  const args: string[] = [];
  let help = false;
  const set = (spec: FlagSpec, value: string, shown: string): void => {
    switch (spec.type) {
      case 'int': {
        if (!/^[-+]?\d+$/.test(value))
          throw new FlagError(
            `invalid argument "${value}" for "${shown}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`
          );
        flags[spec.name] = Number(value);
        return;
      }
      case 'bool': {
        const v = /^(1|t|T|true|TRUE|True)$/.test(value)
          ? true
          : /^(0|f|F|false|FALSE|False)$/.test(value)
            ? false
            : undefined;
        if (v === undefined)
          throw new FlagError(
            `invalid argument "${value}" for "${shown}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`
          );
        flags[spec.name] = v;
        return;
      }
      case 'duration':
        try {
          parseGoDuration(value);
        } catch (e) {
          throw new FlagError(`invalid argument "${value}" for "${shown}" flag: ${(e as Error).message}`);
        }
        flags[spec.name] = value;
        return;
      case 'stringArray':
        (flags[spec.name] as string[]).push(value);
        return;
      default:
        flags[spec.name] = value;
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      if (name === 'help') {
        help = true;
        continue;
      }
      const spec = specs.find((s) => s.name === name);
      if (!spec) throw new FlagError(`unknown flag: --${name}`);
      const shown = spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
      if (eq >= 0) set(spec, a.slice(eq + 1), shown);
      else if (spec.type === 'bool') flags[spec.name] = true;
      else if (i + 1 < argv.length) set(spec, argv[++i], shown);
      else throw new FlagError(`flag needs an argument: --${name}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1 && a !== '-') {
      const c = a[1];
      if (c === 'h') {
        help = true;
        continue;
      }
      const spec = specs.find((s) => s.short === c);
      if (!spec) throw new FlagError(`unknown shorthand flag: '${c}' in ${a}`);
      const shown = `-${c}, --${spec.name}`;
      let rest = a.slice(2);
      if (rest.startsWith('=')) rest = rest.slice(1);
      if (rest !== '') set(spec, rest, shown);
      else if (spec.type === 'bool') flags[spec.name] = true;
      else if (i + 1 < argv.length) set(spec, argv[++i], shown);
      else throw new FlagError(`flag needs an argument: '${c}' in -${c}`);
      continue;
    }
    args.push(a);
  }
  return { flags, args, help };
}

export function flagUsage(specs: FlagSpec[]): string {
  const rows = specs.map((s) => {
    const left = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.type === 'bool' ? '' : ` ${s.type === 'int' ? 'int' : s.type === 'duration' ? 'duration' : s.type === 'stringArray' ? 'stringArray' : 'string'}`}`;
    const dflt =
      s.default !== undefined && s.default !== '' && s.default !== false
        ? ` (default ${typeof s.default === 'string' ? `"${s.default}"` : s.default})`
        : '';
    return [left, s.usage + dflt];
  });
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([l, r]) => `  ${l.padEnd(w)}   ${r}`).join('\n');
}
