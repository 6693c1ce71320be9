/**
 * The README's cluster permissions table and deploy/rbac.yaml (the manifest the sandbox's pipeline tests run
 * under) say exactly the same thing, rule for rule; and the manifest binds its roles to its ServiceAccount.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

const key = (scope: string, r: Rule) =>
  [
    scope,
    r.apiGroups.join(','),
    [...r.resources].sort().join(','),
    [...(r.resourceNames ?? [])].sort().join(','),
    [...r.verbs].sort().join(',')
  ].join(' | ');

async function manifest(): Promise<Doc[]> {
  const text = await readFile(path.join(root, 'deploy/rbac.yaml'), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJS() as Doc);
}

/** The table rows between the README's rbac-table markers, as the same keys. */
async function readmeRules(): Promise<string[]> {
  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  const m = /<!-- rbac-table -->\n([\s\S]*?)<!-- \/rbac-table -->/.exec(readme);
  if (!m) throw new Error('README.md has no rbac-table markers');
  return m[1]
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .slice(2)
    .map((l) => {
      const [scope, group, resources, verbs] = l
        .split('|')
        .slice(1, 5)
        .map((c) => c.trim());
      const names = /\(only ([^)]*)\)/.exec(resources)?.[1] ?? '';
      const ticks = (t: string) => [...t.matchAll(/`([^`]*)`/g)].map((x) => x[1]);
      return key(scope, {
        apiGroups: ticks(group).map((g) => (g === '""' ? '' : g)),
        resources: ticks(resources.replace(/\(only [^)]*\)/, '')),
        resourceNames: ticks(names),
        verbs: verbs.split(',').map((v) => v.trim())
      });
    });
}

describe('deploy/rbac.yaml', () => {
  it('is what the README documents, rule for rule', async () => {
    const docs = await manifest();
    const fromManifest = docs.flatMap((d) => (d.rules ?? []).map((r) => key(d.kind, r)));
    expect(fromManifest.length).toBeGreaterThan(0);
    expect((await readmeRules()).sort()).toEqual(fromManifest.sort());
  });

  it('binds the Role and the ClusterRole to its ServiceAccount', async () => {
    const docs = await manifest();
    const sa = docs.find((d) => d.kind === 'ServiceAccount')!;
    for (const [binding, role] of [
      ['RoleBinding', 'Role'],
      ['ClusterRoleBinding', 'ClusterRole']
    ]) {
      const b = docs.find((d) => d.kind === binding)!;
      expect(b.roleRef).toMatchObject({ kind: role, name: docs.find((d) => d.kind === role)!.metadata.name });
      expect(b.subjects).toEqual([
        { kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }
      ]);
    }
    expect(docs.find((d) => d.kind === 'Role')!.metadata.namespace).toBe(sa.metadata.namespace);
  });
});
