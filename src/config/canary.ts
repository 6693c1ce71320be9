/** The canary inputs' own forms (pure; the loader reports what they return as the input's problem). */

/** `10,50,100` → [10, 50, 100]; a string says what is wrong. */
export function parseCanarySteps(s: string): number[] | string {
  const words = s.split(/[\s,]+/).filter(Boolean);
  if (words.length === 0) return 'has no step';
  if (words.length > 10) return 'has more than 10 steps';
  const steps = words.map(Number);
  const bad = words.find((w, i) => !/^\d+$/.test(w) || steps[i] < 1 || steps[i] > 100);
  if (bad !== undefined) return `has "${bad}", which is not a whole percentage from 1 to 100`;
  for (let i = 1; i < steps.length; i++) {
    if (steps[i] <= steps[i - 1]) return `does not increase (${steps[i - 1]} then ${steps[i]})`;
  }
  if (steps[steps.length - 1] !== 100) return 'does not end at 100 (the new version would never take all traffic)';
  return steps;
}
