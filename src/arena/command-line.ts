/** An argument list as a person would type it, for logs and plans (the list itself is never run through a shell). */
export function commandLine(args: readonly string[], tool = 'arena'): string {
  return `${tool} ${args.map((a) => (/[\s"'$`\\]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`;
}
