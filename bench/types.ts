/** One row of `npm run bench`: a measured value, its goal in words, and whether the goal is met. */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  goal: string;
  met: boolean;
}
