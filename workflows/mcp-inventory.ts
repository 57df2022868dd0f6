import type { McpInventory } from '../core/mcp.ts';
import { describeMcpServersActivity } from './activities.ts';

/**
 * `bosun mcp list`: one worker of the task queue reports its MCP servers — reachable or not
 * from where runs call them, their tools, schemas and the policy each gets. A workflow only
 * because Temporal reaches a task queue's workers through one; it records nothing else.
 */
export async function mcpInventory(): Promise<McpInventory> {
  return describeMcpServersActivity()();
}
