/**
 * The little of POSIX `sh -c` the simulated containers need: word splitting with single quotes, double quotes
 * and backslash escapes, `$VAR` / `${VAR}` expansion from the container's env, and command lists joined by
 * `;`, `&&`, `||` (and newlines). No globbing, pipes, redirections or subshells: a line using them is reported
 * as a syntax the sandbox does not run.
 */

export interface ShellCommand {
  argv: string[];
  /** How this command joins the next one. */
  then?: ';' | '&&' | '||';
}

export class ShellSyntaxError extends Error {}

export function parseShell(src: string, env: Record<string, string> = {}): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let argv: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;

  const endWord = () => {
    if (inWord) argv.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = (then?: ShellCommand['then']) => {
    endWord();
    if (argv.length === 0) {
      if (then && then !== ';') throw new ShellSyntaxError(`Syntax error: "${then}" unexpected`);
      return;
    }
    commands.push({ argv, then });
    argv = [];
  };
  const expand = (): string => {
    // at src[i] === '$'
    const braced = src[i + 1] === '{';
    const m = braced
      ? /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(src.slice(i))
      : /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(src.slice(i));
    if (!m) {
      i++;
      return '$';
    }
    i += m[0].length;
    return env[m[1]] ?? '';
  };

  while (i < src.length) {
    const c = src[i];
    if (c === '\\') {
      if (src[i + 1] === '\n') {
        i += 2;
        continue;
      }
      if (i + 1 < src.length) {
        word += src[i + 1];
        inWord = true;
      }
      i += 2;
    } else if (c === "'") {
      const end = src.indexOf("'", i + 1);
      if (end < 0) throw new ShellSyntaxError('Syntax error: Unterminated quoted string');
      word += src.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      inWord = true;
      i++;
      for (;;) {
        if (i >= src.length) throw new ShellSyntaxError('Syntax error: Unterminated quoted string');
        const d = src[i];
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\' && i + 1 < src.length && '$`"\\\n'.includes(src[i + 1])) {
          if (src[i + 1] !== '\n') word += src[i + 1];
          i += 2;
        } else if (d === '$') {
          word += expand();
        } else {
          word += d;
          i++;
        }
      }
    } else if (c === '$') {
      word += expand();
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      endWord();
      i++;
    } else if (c === '\n' || c === ';') {
      endCommand(';');
      i++;
    } else if (c === '&' && src[i + 1] === '&') {
      endCommand('&&');
      i += 2;
    } else if (c === '|' && src[i + 1] === '|') {
      endCommand('||');
      i += 2;
    } else if (c === '#' && !inWord) {
      const nl = src.indexOf('\n', i);
      i = nl < 0 ? src.length : nl;
    } else if ('|&<>()`'.includes(c)) {
      throw new ShellSyntaxError(`Syntax error: "${c}" is not supported by the sandbox shell`);
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  endCommand();
  const last = commands[commands.length - 1];
  if (last?.then && last.then !== ';') throw new ShellSyntaxError('Syntax error: end of file unexpected');
  if (last) delete last.then;
  return commands;
}
