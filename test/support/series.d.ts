export declare function rng(seed: number): () => number;
export declare function gaussian(u: () => number): () => number;
export declare const MB: number;
export interface Shape {
  name: string;
  at: (s: number, n: number) => number;
  leak: boolean;
}
export declare const SHAPES: Shape[];
export declare function sample(
  shape: Shape,
  n: number,
  sigma: number,
  seed: number,
  windowS?: number,
): { t: Float64Array; v: Float64Array };
