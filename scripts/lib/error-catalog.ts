/**
 * The troubleshooting catalog: every PipelineError the product can raise, read from src/ with the TypeScript
 * compiler (code, message, hint as written at the throw site). `npm run build` writes it into the README between
 * markers; test/unit/troubleshooting.test.ts checks that every code in src/ is in the README.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export interface CatalogEntry {
  readonly code: string;
  readonly message: string;
  readonly hint: string;
  readonly where: string;
}

function filesBelow(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesBelow(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The source text of a string-ish argument, with `${…}` holes shown as `…`. */
function textOf(node: ts.Expression | undefined, sf: ts.SourceFile): string {
  if (!node) return '';
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) {
    return node.head.text + node.templateSpans.map((s) => '…' + s.literal.text).join('');
  }
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    return textOf(node.left, sf) + textOf(node.right, sf);
  }
  return '…';
}

/** A code argument: a literal `CODE`, or a template like `DEPLOY_${x}` shown as `DEPLOY_*`. */
function codeOf(node: ts.Expression | undefined): string | undefined {
  if (!node) return undefined;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node) && /^[A-Z][A-Z0-9_]*_$/.test(node.head.text)) return `${node.head.text}*`;
  return undefined;
}

export function errorCatalog(root: string): CatalogEntry[] {
  const entries = new Map<string, CatalogEntry>();
  for (const file of filesBelow(path.join(root, 'src'))) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node) => {
      if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'PipelineError') {
        const [codeArg, messageArg, hintArg] = node.arguments ?? [];
        const code = codeOf(codeArg);
        const hint = textOf(hintArg, sf);
        // The first site of a code, unless its hint is not a literal and a later one's is (the table's row then
        // does not depend on which file comes first).
        const known = code ? entries.get(code) : undefined;
        if (code && (!known || (known.hint === '…' && hint !== '…'))) {
          entries.set(code, {
            code,
            message: textOf(messageArg, sf),
            hint,
            where: path.relative(root, file)
          });
        }
      }
      // Codes chosen in tables or helpers: object literals `{ code: 'X', ... hint: '...' }`.
      if (ts.isObjectLiteralExpression(node)) {
        const prop = (name: string) =>
          node.properties.find(
            (p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText(sf) === name
          );
        const code = prop('code');
        const hint = prop('hint');
        if (code && hint && ts.isStringLiteral(code.initializer) && /^[A-Z][A-Z0-9_]+$/.test(code.initializer.text)) {
          const c = code.initializer.text;
          if (!entries.has(c)) {
            entries.set(c, {
              code: c,
              message: textOf(prop('message')?.initializer, sf),
              hint: textOf(hint.initializer, sf),
              where: path.relative(root, file)
            });
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return [...entries.values()].sort((a, b) => a.code.localeCompare(b.code));
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim() || '—';

export function catalogMarkdown(entries: readonly CatalogEntry[]): string {
  return [
    '| error | what happened | what to do |',
    '| --- | --- | --- |',
    ...entries.map((e) => `| \`${e.code}\` | ${cell(e.message)} | ${cell(e.hint)} |`)
  ].join('\n');
}

export interface HintText {
  readonly text: string;
  /** file:line of the hint expression. */
  readonly where: string;
}

/** Every string piece of an expression (literals, template parts, both arms of `a ? b : c`, `a + b`). */
function stringPieces(
  node: ts.Node,
  sf: ts.SourceFile,
  fns: Map<string, ts.Node>,
  seen = new Set<ts.Node>()
): string[] {
  if (seen.has(node)) return [];
  seen.add(node);
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [node.text];
  if (ts.isTemplateExpression(node)) {
    return [
      node.head.text + node.templateSpans.map((s) => '…' + s.literal.text).join(''),
      ...node.templateSpans.flatMap((s) => stringPieces(s.expression, sf, fns, seen))
    ];
  }
  // A hint built by a helper in the same file (`unavailableHint(reason)`): its strings count too.
  if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && fns.has(node.expression.text)) {
    return stringPieces(fns.get(node.expression.text)!, sf, fns, seen);
  }
  const out: string[] = [];
  ts.forEachChild(node, (c) => void out.push(...stringPieces(c, sf, fns, seen)));
  return out;
}

/**
 * Every "what to do" text in src/, at every site (not only the first of each code): the hint argument of each
 * `new PipelineError`, each `hint:` property, and the strings of the same-file helpers they call.
 */
export function hintTexts(root: string): HintText[] {
  const out: HintText[] = [];
  for (const file of filesBelow(path.join(root, 'src'))) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const fns = new Map<string, ts.Node>();
    const collect = (node: ts.Node) => {
      if (ts.isFunctionDeclaration(node) && node.name && node.body) fns.set(node.name.text, node.body);
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
        if (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer))
          fns.set(node.name.text, node.initializer.body);
        else fns.set(node.name.text, node.initializer);
      }
      ts.forEachChild(node, collect);
    };
    collect(sf);
    const at = (n: ts.Node) =>
      `${path.relative(root, file)}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;
    const visit = (node: ts.Node) => {
      let hint: ts.Node | undefined;
      if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'PipelineError')
        hint = node.arguments?.[2];
      else if (ts.isPropertyAssignment(node) && node.name.getText(sf) === 'hint') hint = node.initializer;
      else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
        if (ts.isIdentifier(node.left) && node.left.text === 'hint') hint = node.right;
      }
      if (hint) for (const text of stringPieces(hint, sf, fns)) out.push({ text, where: at(hint) });
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}
