/**
 * Finds secret values in what a run left behind: stdout, stderr, the summary, outputs, env and state files,
 * and every file under RUNNER_TEMP except the kubeconfig the action wrote on purpose (0600). Each secret is
 * looked for raw, base64-encoded and URL-encoded.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

export interface Leak {
  readonly where: string;
  readonly secretName: string;
  readonly form: 'raw' | 'base64' | 'url';
}

export function secretForms(value: string): { form: Leak['form']; text: string }[] {
  const forms: { form: Leak['form']; text: string }[] = [{ form: 'raw', text: value }];
  const b64 = Buffer.from(value).toString('base64');
  if (b64 !== value) forms.push({ form: 'base64', text: b64.replace(/=+$/, '') });
  const url = encodeURIComponent(value);
  if (url !== value) forms.push({ form: 'url', text: url });
  return forms;
}

export function findLeaks(texts: Readonly<Record<string, string>>, secrets: Readonly<Record<string, string>>): Leak[] {
  const leaks: Leak[] = [];
  for (const [where, text] of Object.entries(texts)) {
    for (const [secretName, value] of Object.entries(secrets)) {
      if (value.length < 6) continue; // too short to tell apart from ordinary text
      for (const { form, text: needle } of secretForms(value)) {
        if (text.includes(needle)) leaks.push({ where, secretName, form });
      }
    }
  }
  return leaks;
}

/** Every regular file below `dir` (text), except the paths in `allowed` (e.g. the kubeconfig). */
export async function filesBelow(dir: string, allowed: readonly string[] = []): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (entry.isFile() && !allowed.includes(p)) {
        const s = await stat(p);
        if (s.size < 8 * 1024 * 1024) out[p] = await readFile(p, 'utf8');
      }
    }
  };
  await walk(dir);
  return out;
}
