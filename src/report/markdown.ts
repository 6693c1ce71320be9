/**
 * Text in a Markdown table cell (the job summary, the smoke samples, the models plan): a `|` would end the cell,
 * a line break the row, and GitHub renders inline HTML, so a model's answer like `<script>` must show as text.
 */
export function markdownCell(s: string, maxLength = Infinity): string {
  return s
    .slice(0, maxLength)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ');
}
