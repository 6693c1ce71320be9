/**
 * Python argparse, as far as `huggingface_bloom_convert.py` uses it: its option table, usage line wrapping
 * (width 78: no terminal in a pod), long-option abbreviations, `--opt=value`, `-iVALUE`, and the exact error
 * lines (exit status 2).
 */

export interface ConvertArgs {
  input_dir: string;
  output_dir: string;
  tensor_para_size: number;
  data_type: 'fp32' | 'fp16';
  processes: number;
  verbose: boolean;
  by_shard: boolean;
}

interface Opt {
  dest: keyof ConvertArgs;
  short: string;
  long: string;
  metavar?: string;
  type?: 'int' | 'str';
  choices?: string[];
  required?: boolean;
  flag?: boolean;
  help: string;
}

const OPTIONS: Opt[] = [
  {
    dest: 'input_dir',
    short: '-i',
    long: '--input-dir',
    metavar: 'DIR',
    required: true,
    help: 'A checkpoint directory of a huggingface pretrained model.'
  },
  {
    dest: 'output_dir',
    short: '-o',
    long: '--output-dir',
    metavar: 'DIR',
    required: true,
    help: 'A directory where converted binary files for FT will be saved.'
  },
  {
    dest: 'tensor_para_size',
    short: '-tp',
    long: '--tensor-para-size',
    metavar: 'N',
    type: 'int',
    help: 'The tensor parallel size for inference.'
  },
  {
    dest: 'data_type',
    short: '-dt',
    long: '--data-type',
    metavar: 'STR',
    choices: ['fp32', 'fp16'],
    help: 'A data type of converted weights.'
  },
  {
    dest: 'processes',
    short: '-p',
    long: '--processes',
    metavar: 'N',
    type: 'int',
    help: 'The number of parallel processes to use for conversion.'
  },
  { dest: 'verbose', short: '-v', long: '--verbose', flag: true, help: 'Enable verbose logging' },
  {
    dest: 'by_shard',
    short: '-s',
    long: '--by-shard',
    flag: true,
    help: 'Process shard by shard, enable when converting big model like bloom 175B'
  }
];

const DEFAULTS = { tensor_para_size: 1, data_type: 'fp32', processes: 1, verbose: false, by_shard: false };

export type ParseResult =
  { ok: true; args: ConvertArgs } | { ok: false; exitCode: number; stdout?: string; stderr?: string };

const WIDTH = 78;

function optName(o: Opt): string {
  return `${o.short}/${o.long}`;
}

export function usage(prog: string): string {
  const parts = ['[-h]'];
  for (const o of OPTIONS) {
    if (o.flag) parts.push(`[${o.short}]`);
    else if (o.required) parts.push(o.short, o.metavar!);
    else parts.push(`[${o.short} ${o.metavar}]`);
  }
  const prefix = 'usage: ';
  const one = `${prefix}${prog} ${parts.join(' ')}`;
  if (one.length <= WIDTH) return one + '\n';
  // argparse's get_lines: the first line continues after the prefix, the rest align under the first part
  const lines: string[] = [];
  let line: string[] = [];
  let indent: string;
  let all: string[];
  if (prefix.length + prog.length <= 0.75 * WIDTH) {
    indent = ' '.repeat(prefix.length + prog.length + 1);
    all = [prog, ...parts];
  } else {
    indent = ' '.repeat(prefix.length);
    lines.push(prog);
    all = parts;
  }
  let len = (lines.length ? indent.length : prefix.length) - 1;
  for (const p of all) {
    if (len + 1 + p.length > WIDTH && line.length) {
      lines.push(indent + line.join(' '));
      line = [];
      len = indent.length - 1;
    }
    line.push(p);
    len += p.length + 1;
  }
  if (line.length) lines.push(indent + line.join(' '));
  if (prefix.length + prog.length <= 0.75 * WIDTH) lines[0] = lines[0].slice(indent.length);
  return `${prefix}${lines.join('\n')}\n`;
}

function help(prog: string): string {
  const rows = [
    ['-h, --help', 'show this help message and exit'],
    ...OPTIONS.map((o) => {
      const inv = o.flag ? `${o.short}, ${o.long}` : `${o.short} ${o.metavar}, ${o.long} ${o.metavar}`;
      const def = o.required
        ? ' (default: None)'
        : o.dest in DEFAULTS
          ? ` (default: ${pyValue((DEFAULTS as Record<string, unknown>)[o.dest])})`
          : '';
      return [inv, o.help + def];
    })
  ];
  const body = rows.map(([inv, h]) => `  ${inv}\n                        ${h}`).join('\n');
  return `${usage(prog)}\noptional arguments:\n${body}\n`;
}

function pyValue(v: unknown): string {
  if (v === true) return 'True';
  if (v === false) return 'False';
  return String(v);
}

function findOption(arg: string): { opt: Opt; value?: string } | 'ambiguous' | undefined {
  for (const o of OPTIONS) if (arg === o.short || arg === o.long) return { opt: o };
  if (arg.startsWith('--')) {
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const value = eq >= 0 ? arg.slice(eq + 1) : undefined;
    const exact = OPTIONS.find((o) => o.long === name);
    if (exact) return { opt: exact, value };
    const hits = OPTIONS.filter((o) => o.long.startsWith(name));
    if (hits.length > 1) return 'ambiguous';
    if (hits.length === 1) return { opt: hits[0], value };
    return undefined;
  }
  if (arg.startsWith('-') && arg.length > 2) {
    const eq = arg.indexOf('=');
    if (eq >= 0) {
      const o = OPTIONS.find((x) => x.short === arg.slice(0, eq));
      if (o) return { opt: o, value: arg.slice(eq + 1) };
    }
    // `-tp2`, `-i/mnt/x`: the longest short option that prefixes the argument takes the rest as its value
    const o = OPTIONS.filter((x) => !x.flag && arg.startsWith(x.short)).sort(
      (a, b) => b.short.length - a.short.length
    )[0];
    if (o) return { opt: o, value: arg.slice(o.short.length) };
  }
  return undefined;
}

/** Parse argv (after the script path) as the converter's argparse would. `prog` is the script's basename. */
export function parseConvertArgs(prog: string, argv: string[]): ParseResult {
  const values: Record<string, unknown> = { ...DEFAULTS };
  const seen = new Set<string>();
  const extras: string[] = [];
  const fail = (msg: string): ParseResult => ({
    ok: false,
    exitCode: 2,
    stderr: `${usage(prog)}${prog}: error: ${msg}\n`
  });
  let onlyPositional = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (onlyPositional || !arg.startsWith('-') || arg === '-' || /^-\d+(\.\d+)?$/.test(arg)) {
      extras.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositional = true;
      continue;
    }
    if (arg === '-h' || (arg.startsWith('--') && arg.length > 2 && '--help'.startsWith(arg))) {
      return { ok: false, exitCode: 0, stdout: help(prog) };
    }
    const found = findOption(arg);
    if (found === 'ambiguous') {
      const hits = OPTIONS.filter((o) => o.long.startsWith(arg.split('=')[0])).map((o) => o.long);
      return fail(`ambiguous option: ${arg.split('=')[0]} could match ${hits.join(', ')}`);
    }
    if (!found) {
      extras.push(arg);
      continue;
    }
    const { opt } = found;
    if (opt.flag) {
      if (found.value !== undefined && found.value !== '')
        return fail(`argument ${optName(opt)}: ignored explicit argument '${found.value}'`);
      values[opt.dest] = true;
      seen.add(opt.dest);
      continue;
    }
    let value = found.value;
    if (value === undefined || (value === '' && !arg.includes('='))) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-' && !/^-\d/.test(next))) {
        return fail(`argument ${optName(opt)}: expected one argument`);
      }
      value = next;
      i++;
    }
    if (opt.type === 'int') {
      if (!/^\s*[-+]?\d+(_\d+)*\s*$/.test(value))
        return fail(`argument ${optName(opt)}: invalid int value: '${value}'`);
      values[opt.dest] = Number.parseInt(value.replace(/_/g, ''), 10);
    } else {
      if (opt.choices && !opt.choices.includes(value)) {
        return fail(
          `argument ${optName(opt)}: invalid choice: '${value}' (choose from ${opt.choices.map((c) => `'${c}'`).join(', ')})`
        );
      }
      values[opt.dest] = value;
    }
    seen.add(opt.dest);
  }
  const missing = OPTIONS.filter((o) => o.required && !seen.has(o.dest)).map(optName);
  if (missing.length) return fail(`the following arguments are required: ${missing.join(', ')}`);
  if (extras.length) return fail(`unrecognized arguments: ${extras.join(' ')}`);
  // vars(args) lists the options in the order they were added
  const ordered = Object.fromEntries(OPTIONS.map((o) => [o.dest, values[o.dest]]));
  return { ok: true, args: ordered as unknown as ConvertArgs };
}
