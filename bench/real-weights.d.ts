export declare const MOBILENET: URL;
export declare function mobilenetWeights(): { name: string; shape: [number, number]; w: Float32Array }[] | null;
