// Types for rng.mjs.
export function rng(seed: number): () => number;
