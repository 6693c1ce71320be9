/**
 * The Arena stand-in's command tree (a subset of kubeflow/arena's cobra commands). `runArena(argv)` returns the
 * exit code. As in Arena (SilenceErrors + SilenceUsage, then utils.PrintErrorMessage), every error — flag
 * errors included — is logged by logrus on stderr and the exit code is 1.
 */
import { flagUsage, FlagError, parseFlags, type FlagSpec, type FlagValues } from './flags.js';
import { ArenaError, KubeClient, loadKubeconfig } from './kube.js';
import { KubectlError } from './kubectl.js';
import { chartsFolder, chartVersions } from './charts.js';
import { logrusLine } from './log.js';
import { AmbiguousServing, serveDelete, serveGet, serveList, serveTriton, SERVE_TRITON_FLAGS } from './serving.js';
import {
  deleteJobs,
  getJob,
  jobLogs,
  listJobs,
  submitPytorchJob,
  SUBMIT_PYTORCHJOB_FLAGS,
  type Io
} from './training.js';

declare const __ARENA_VERSION__: string | undefined;
declare const __ARENA_ARCH__: string | undefined;

export const ARENA_VERSION = typeof __ARENA_VERSION__ === 'string' ? __ARENA_VERSION__ : '0.0.0-dev';
/** The commit v0.15.2 was built from (`git rev-parse v0.15.2^{commit}` in kubeflow/arena) and its date. */
const GIT_COMMIT = '68535995f9a61c4a141f2d613cb5e851a31e7876';
const BUILD_DATE = '2025-09-04T07:30:11Z';
const ARCH = typeof __ARENA_ARCH__ === 'string' ? __ARENA_ARCH__ : process.arch === 'arm64' ? 'arm64' : 'amd64';

const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'config', type: 'string', default: '', usage: 'Path to a kube config. Only required if out-of-cluster' },
  { name: 'namespace', short: 'n', type: 'string', default: '', usage: 'the namespace of the job' },
  {
    name: 'arena-namespace',
    type: 'string',
    default: 'arena-system',
    usage: 'The namespace of arena system service, like tf-operator'
  },
  { name: 'loglevel', type: 'string', default: 'info', usage: 'Set the logging level. One of: debug|info|warn|error' },
  { name: 'pprof', type: 'bool', default: false, usage: 'enable cpu profile' },
  { name: 'trace', type: 'bool', default: false, usage: 'enable trace' }
];

interface Command {
  use: string;
  short: string;
  flags: FlagSpec[];
  /** Without positional arguments: print the help, then fail with this message. */
  needsArgs?: string;
  run?: (f: FlagValues, args: string[], ctx: Ctx) => Promise<number>;
  sub?: Record<string, Command>;
  aliases?: string[];
}

interface Ctx {
  io: Io;
  kube: () => KubeClient;
  ns: () => string;
}

const TYPE_FLAG: FlagSpec = {
  name: 'type',
  short: 'T',
  type: 'string',
  default: '',
  usage: 'The training type, e.g. pytorchjob'
};
const OUTPUT_FLAG: FlagSpec = {
  name: 'output',
  short: 'o',
  type: 'string',
  default: '',
  usage: 'Output format. One of: json|yaml|wide'
};

const needName = (args: string[], what: string): string => {
  if (args.length === 0) throw new ArenaError(`not set job name, please set it: arena ${what} <name>`);
  return args[0];
};

const COMMANDS: Record<string, Command> = {
  version: {
    use: 'version',
    short: 'Print version information',
    flags: [
      { name: 'short', type: 'bool', default: false, usage: 'print just the version number' },
      { name: 'verbose', short: 'v', type: 'bool', default: false, usage: 'print the supported charts version number' }
    ],
    // pkg/commands/version.go + version.go at v0.15.2: the release is built before its tag exists (release.yaml),
    // so the version reads `v<VERSION>+<short commit>`.
    run: async (f, _a, { io }) => {
      io.out(`arena: v${ARENA_VERSION}+${GIT_COMMIT.slice(0, 7)}\n`);
      if (f.short) return 0;
      const lines = [
        `  BuildDate: ${BUILD_DATE}`,
        `  GitCommit: ${GIT_COMMIT}`,
        '  GitTreeState: clean',
        '  GoVersion: go1.24.0',
        '  Compiler: gc',
        `  Platform: linux/${ARCH}`
      ];
      if (f.verbose) {
        const home = chartsFolder();
        lines.push(`  ChartsHome: ${home}`, '  ChartsVersion: ');
        for (const [name, version] of Object.entries(chartVersions(home))) lines.push(`    ${name}: ${version}`);
      }
      io.out(lines.join('\n') + '\n');
      return 0;
    }
  },
  submit: {
    use: 'submit',
    short: 'Submit a training job.',
    flags: [],
    sub: {
      pytorchjob: {
        use: 'pytorchjob',
        aliases: ['pytorch'],
        short: 'Submit PyTorchJob as training job.',
        needsArgs: 'not found command args',
        flags: SUBMIT_PYTORCHJOB_FLAGS,
        run: (f, a, c) => submitPytorchJob(c.kube, c.ns, f, a, c.io)
      }
    }
  },
  get: {
    use: 'get <name>',
    short: 'Display a training job details',
    flags: [TYPE_FLAG, OUTPUT_FLAG],
    run: (f, a, c) => getJob(c.kube(), c.ns(), needName(a, 'get'), f.output as string, c.io)
  },
  list: {
    use: 'list',
    aliases: ['ls'],
    short: 'List all the training jobs',
    flags: [
      TYPE_FLAG,
      { name: 'allNamespaces', short: 'A', type: 'bool', default: false, usage: 'show all the namespaces' }
    ],
    run: (_f, _a, c) => listJobs(c.kube(), c.ns(), c.io)
  },
  logs: {
    use: 'logs <name>',
    short: 'Print the logs of a training job',
    flags: [
      TYPE_FLAG,
      { name: 'follow', short: 'f', type: 'bool', default: false, usage: 'Specify if the logs should be streamed.' },
      {
        name: 'tail',
        type: 'int',
        default: -1,
        usage: 'Lines of recent log file to display. Defaults to -1 with no selector, showing all log lines'
      },
      { name: 'instance', short: 'i', type: 'string', default: '', usage: 'Specify the task instance to get log' },
      {
        name: 'since',
        type: 'duration',
        default: '',
        usage: 'Only return logs newer than a relative duration like 5s, 2m, or 3h.'
      },
      {
        name: 'timestamps',
        short: 't',
        type: 'bool',
        default: false,
        usage: 'Include timestamps on each line in the log output'
      }
    ],
    run: (f, a, c) => jobLogs(c.kube(), c.ns(), needName(a, 'logs'), f, c.io)
  },
  delete: {
    use: 'delete <name>',
    aliases: ['del'],
    short: 'Delete a training job and its associated instances',
    needsArgs: 'not set job name,please set it',
    flags: [TYPE_FLAG],
    run: (_f, a, c) => deleteJobs(c.kube(), c.ns(), a, c.io)
  },
  serve: {
    use: 'serve',
    short: 'Serve a job.',
    flags: [],
    aliases: ['serving'],
    sub: {
      triton: {
        use: 'triton',
        aliases: ['trt'],
        short: 'Submit nvidia triton server job to deploy and serve machine learning models.',
        flags: SERVE_TRITON_FLAGS,
        run: (f, _a, c) => serveTriton(c.kube, c.ns, f, c.io)
      },
      list: {
        use: 'list',
        aliases: ['ls'],
        short: 'List all the serving jobs',
        flags: [TYPE_FLAG],
        run: (_f, _a, c) => serveList(c.kube(), c.ns(), c.io)
      },
      get: {
        use: 'get <name>',
        short: 'Display a serving job details',
        flags: [
          TYPE_FLAG,
          OUTPUT_FLAG,
          { name: 'version', short: 'v', type: 'string', default: '', usage: 'specify the serving job version' }
        ],
        run: (f, a, c) =>
          serveGet(
            c.kube(),
            c.ns(),
            needName(a, 'serve get'),
            (f.version as string) || undefined,
            f.output as string,
            c.io
          )
      },
      delete: {
        use: 'delete <name>',
        aliases: ['del'],
        short: 'Delete a serving job and its associated instances',
        needsArgs: 'not set job name,please set it',
        flags: [
          TYPE_FLAG,
          { name: 'version', short: 'v', type: 'string', default: '', usage: 'specify the serving job version' }
        ],
        run: (f, a, c) => serveDelete(c.kube(), c.ns(), a, (f.version as string) || undefined, c.io)
      }
    }
  }
};

function usage(path: string[], cmd: Command | undefined): string {
  const subs = cmd?.sub ?? (cmd ? undefined : COMMANDS);
  const words = ['arena', ...path, ...(cmd ? cmd.use.split(' ').slice(1) : [])];
  const lines = ['Usage:', `  ${words.join(' ')}${subs ? ' [command]' : ''} [flags]`, ''];
  if (subs) {
    lines.push('Available Commands:');
    for (const [n, c] of Object.entries(subs)) lines.push(`  ${n.padEnd(12)} ${c.short}`);
    lines.push('');
  }
  if (cmd && cmd.flags.length) lines.push('Flags:', flagUsage(cmd.flags), '');
  lines.push('Global Flags:', flagUsage(GLOBAL_FLAGS), '');
  return lines.join('\n') + '\n';
}

export interface RunIo {
  stdout(s: string): void;
  stderr(s: string): void;
}

const processIo: RunIo = { stdout: (s) => void process.stdout.write(s), stderr: (s) => void process.stderr.write(s) };

/** cobra's suggestions: commands within Levenshtein distance 2, or starting with what was typed. */
function suggestions(typed: string, table: Record<string, Command>): string[] {
  const dist = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length][b.length];
  };
  return Object.keys(table).filter((n) => dist(typed.toLowerCase(), n) <= 2 || n.startsWith(typed.toLowerCase()));
}

export async function runArena(
  argv: string[],
  rio: RunIo = processIo,
  tty = process.stderr.isTTY === true
): Promise<number> {
  const io: Io = { out: rio.stdout, err: rio.stderr, log: (level, m) => rio.stderr(logrusLine(level, m, tty)) };
  const fail = (msg: string): number => {
    io.log('error', msg);
    return 1;
  };
  // Walk the command tree over the leading words that name commands (flags may come first).
  const path: string[] = [];
  let table: Record<string, Command> | undefined = COMMANDS;
  let cmd: Command | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (table && !a.startsWith('-')) {
      const found: [string, Command] | undefined = Object.entries(table).find(
        ([n, c]) => n === a || c.aliases?.includes(a)
      );
      if (found) {
        path.push(found[0]);
        cmd = found[1];
        table = found[1].sub;
        continue;
      }
      if (a === 'help') {
        rio.stdout(usage(path, cmd));
        return 0;
      }
      if (!cmd || cmd.sub) {
        const near = suggestions(a, table);
        return fail(
          `unknown command ${JSON.stringify(a)} for ${JSON.stringify(['arena', ...path].join(' '))}${near.length ? `\n\nDid you mean this?\n${near.map((n) => `\t${n}\n`).join('')}` : ''}`
        );
      }
    }
    rest.push(a);
    if (a.startsWith('-') && !a.includes('=') && i + 1 < argv.length) {
      // a flag's value could look like a command name: keep walking only over real command words
      const spec = [...GLOBAL_FLAGS, ...(cmd?.flags ?? [])].find((s) => a === `--${s.name}` || a === `-${s.short}`);
      if (spec && spec.type !== 'bool') rest.push(argv[++i]);
    }
  }
  const specs = [...(cmd?.flags ?? []), ...GLOBAL_FLAGS];
  let parsed;
  try {
    parsed = parseFlags(specs, rest);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    return fail(e.message);
  }
  if (parsed.help || !cmd?.run) {
    rio.stdout(usage(path, cmd));
    return 0;
  }
  if (cmd.needsArgs && parsed.args.length === 0) {
    rio.stdout(usage(path, cmd));
    return fail(cmd.needsArgs);
  }
  const f = parsed.flags;
  let target: ReturnType<typeof loadKubeconfig> | undefined;
  const kubeTarget = (): ReturnType<typeof loadKubeconfig> => {
    try {
      return (target ??= loadKubeconfig((f.config as string) || undefined));
    } catch (e) {
      throw e instanceof ArenaError ? new ArenaError(`failed to create arena client: ${e.message}`) : e;
    }
  };
  const ctx: Ctx = {
    io,
    kube: () => new KubeClient(kubeTarget()),
    ns: () => (f.namespace as string) || kubeTarget().namespace
  };
  try {
    return await cmd.run(f, parsed.args, ctx);
  } catch (e) {
    if (e instanceof AmbiguousServing) {
      rio.stdout(e.message);
      return 1;
    }
    if (e instanceof ArenaError) return fail(e.message);
    if (e instanceof KubectlError) {
      // workflow.SubmitJob prints kubectl's output (fmt.Printf), then main logs the error and exits 1
      if (e.output) rio.stdout(e.output);
      return fail(e.message);
    }
    throw e;
  }
}
