/** Types of sse-parser.js (the console is plain JS; these let the unit tests typecheck). */
export interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}
export declare function createSseParser(onMessage: (m: SseMessage) => void): (chunk: string) => void;
