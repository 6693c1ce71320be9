/**
 * The little XML OSS speaks: escaping for responses and a strict-enough reader for the two request bodies the
 * sandbox accepts (CompleteMultipartUpload, Delete). Not a general XML parser.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function xmlEscape(s: string): string {
  // Control characters other than tab/CR/LF cannot appear in XML 1.0; OSS drops them unless encoding-type=url.
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]).replace(/[^\t\n\r\u0020-\uffff]/g, '');
}

function unescape(s: string): string {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** `<tag>value</tag>` lines; undefined values are left out. */
export function el(tag: string, value: string | number | undefined): string {
  return value === undefined ? '' : `<${tag}>${xmlEscape(String(value))}</${tag}>`;
}

export function doc(root: string, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}>${body}</${root}>\n`;
}

/** The inner text of every `<tag>…</tag>` directly inside `xml` (nesting of the same tag is not supported). */
export function children(xml: string, tag: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`, 'g');
  for (const m of xml.matchAll(re)) out.push(m[1]);
  return out;
}

export function text(xml: string, tag: string): string | undefined {
  const c = children(xml, tag);
  return c.length ? unescape(c[0].trim()) : undefined;
}

/** Checks the body is one element named `root` (after an optional declaration); returns its inner XML. */
export function rootElement(body: string, root: string): string | undefined {
  const s = body
    .replace(/^\uFEFF/, '')
    .replace(/^\s*<\?xml[^?]*\?>/, '')
    .trim();
  const m = new RegExp(`^<${root}(?:\\s[^>]*)?>([\\s\\S]*)</${root}>$`).exec(s);
  if (!m) return undefined;
  const inner = m[1];
  // Balanced tags only (a cheap well-formedness check).
  const stack: string[] = [];
  for (const t of inner.matchAll(/<(\/?)([A-Za-z][\w.-]*)[^>]*?(\/?)>/g)) {
    if (t[3]) continue;
    if (!t[1]) stack.push(t[2]);
    else if (stack.pop() !== t[2]) return undefined;
  }
  return stack.length ? undefined : inner;
}
