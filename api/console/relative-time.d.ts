/** Types of relative-time.js (the console is plain JS; these let the unit tests typecheck). */
export declare function relativeTime(atMs: number, nowMs?: number): string;
