/**
 * A credential and the forms it is commonly re-encoded in (base64, URL-encoding), so that a value which reaches a
 * log through a library's own encoding is still hidden. Both loggers (the action's and the CLI's) hide these.
 */
export function secretForms(value: string): string[] {
  if (value.trim() === '') return [];
  return [...new Set([value, Buffer.from(value).toString('base64'), encodeURIComponent(value)])];
}
