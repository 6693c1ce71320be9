/**
 * Protobuf text format, as much of it as a Triton `config.pbtxt` uses: the writer of the builder. (The tests read
 * it back with test/helpers/pbtxt.ts; the sandbox has its own, stricter parser.)
 */

export type PbValue = string | number | boolean | PbEnum | PbMessage;
export class PbEnum {
  constructor(readonly name: string) {}
}
/** A message: field name → values in order (repeated fields have several). */
export type PbMessage = { [field: string]: PbValue[] };

export function pbEnum(name: string): PbEnum {
  return new PbEnum(name);
}

function scalar(v: string | number | boolean | PbEnum): string {
  if (v instanceof PbEnum) return v.name;
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

/** Writes a message, two-space indented, repeated fields as `name [ ... ]` lists when they hold messages. */
export function writePbtxt(msg: PbMessage, indent = ''): string {
  const out: string[] = [];
  for (const [field, values] of Object.entries(msg)) {
    const messages = values.filter((v): v is PbMessage => isMessage(v));
    if (messages.length > 1 || (messages.length === 1 && REPEATED_AS_LIST.has(field))) {
      const body = messages.map((m) => `${indent}  {\n${writePbtxt(m, indent + '    ')}${indent}  }`).join(',\n');
      out.push(`${indent}${field} [\n${body}\n${indent}]\n`);
      continue;
    }
    if (LIST_SCALARS.has(field) && messages.length === 0) {
      out.push(
        `${indent}${field}: [ ${values.map((v) => scalar(v as string | number | boolean | PbEnum)).join(', ')} ]\n`.replace(
          '[  ]',
          '[ ]'
        )
      );
      continue;
    }
    for (const v of values) {
      if (isMessage(v)) out.push(`${indent}${field} {\n${writePbtxt(v, indent + '  ')}${indent}}\n`);
      else out.push(`${indent}${field}: ${scalar(v)}\n`);
    }
  }
  return out.join('');
}

const REPEATED_AS_LIST = new Set(['input', 'output', 'instance_group']);
/** Repeated scalars written as one list (`dims: [ -1, -1 ]`), also when empty. */
const LIST_SCALARS = new Set(['dims', 'shape']);

function isMessage(v: PbValue): v is PbMessage {
  return typeof v === 'object' && !(v instanceof PbEnum);
}
