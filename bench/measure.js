// Medians that survive a noisy, shared machine: several rounds, each timing every engine briefly (the order
// reversed every other round), then the median of each engine's per-round medians.

import { Bench } from "tinybench";

export async function measureInRounds(tasks, quick) {
  const rounds = quick ? 3 : 7;
  const perRound = new Map(tasks.map(([name]) => [name, []]));
  for (let r = 0; r < rounds; r++) {
    const bench = new Bench({ time: quick ? 60 : 120, warmupTime: r === 0 ? 100 : 20, iterations: 3, warmupIterations: 2 });
    for (const [name, fn] of r % 2 ? [...tasks].reverse() : tasks) bench.add(name, fn);
    await bench.run();
    for (const task of bench.tasks) perRound.get(task.name).push(task.result.latency.p50);
  }
  return tasks.map(([name]) => [name, median(perRound.get(name))]);
}

/** The middle value (the upper one of an even count). */
export function median(xs) {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1];
}
