/** Learning-rate schedules are plain TS functions of the epoch; the value is fed as the graph's lr input each step. */
export type LrSchedule = (epoch: number) => number;

/** lr = base · gamma^(number of milestones ≤ epoch); e.g. ×0.1 from epoch 80: stepDecay(1e-4, [80]). */
export function stepDecay(base: number, milestones: readonly number[], gamma = 0.1): LrSchedule {
  const sorted = [...milestones].sort((a, b) => a - b);
  return (epoch) => base * gamma ** sorted.filter((m) => epoch >= m).length;
}

export function constantLr(base: number): LrSchedule {
  return () => base;
}
