import type { Server } from "node:http";
export function startServer(options: { roots: Record<string, string>; json?: Record<string, unknown>; port?: number }): Promise<{ server: Server; port: number }>;
