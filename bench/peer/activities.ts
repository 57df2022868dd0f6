/** The peer's tools as activities, the way @temporalio/ai-sdk's samples write tools: the
 * workflow's AI SDK `tool()` calls them through `proxyActivities`. */
import { calcOutput, toolOutputBytes } from '../tool-output.ts';

export const peerActivities = {
  calc_20b: async ({ expression }: { expression: string }): Promise<string> =>
    calcOutput(expression, toolOutputBytes['20b']),
  calc_5kb: async ({ expression }: { expression: string }): Promise<string> =>
    calcOutput(expression, toolOutputBytes['5kb']),
};
export type PeerActivities = typeof peerActivities;
