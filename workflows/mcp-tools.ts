import { isCancellation } from '@temporalio/workflow';
import type { ExecuteToolInput, ExecuteToolResult } from '../core/activity-contracts.ts';
import type { CarriedState } from '../core/carried-state.ts';
import type { PinnedMcpTool } from '../core/mcp.ts';
import type { CallTimeouts, RunOutcome } from '../core/run.ts';
import { missingScopes, toolSpec, type ToolContract } from '../tools/index.ts';
import { toolFingerprint } from '../tools/fingerprint.ts';
import { mcpToolContract } from '../tools/mcp/contract.ts';
import { callMcpToolActivity, executeToolActivity, listMcpToolsActivity } from './activities.ts';
import { catalog } from './catalog.ts';
import { delegateContract } from './delegation.ts';
import { failureFromError, make } from './failures.ts';
import type { Loop } from './loop.ts';
import type { RunState } from './run-state.ts';

/**
 * Tools from MCP servers in a run. At the start an activity lists the agent's selected
 * servers and tools; the list (schemas, annotations, policies) is pinned in the run's state
 * and carried across continue-as-new, so the run offers and enforces exactly it to the end,
 * while new runs see what the servers offer then. Each pinned tool becomes a tool contract
 * (`mcpToolContract`), so the gate treats it like a native tool.
 */
interface McpTools {
  pinned: PinnedMcpTool[];
  contracts: Map<string, ToolContract>;
  /** Fingerprints of the offered ones, for the tool set every model call records. */
  pins: Record<string, string>;
}

// Keyed by the run's state object: nothing is shared between runs.
const byRun = new WeakMap<RunState, McpTools>();

/**
 * Pins (a new run: by the `listMcpTools` activity) or restores (a continuation: from the
 * carried state) the run's MCP tools, and adds those the principal may use to the offer.
 * Returns the outcome that ends the run when the tools cannot be had: a server that is
 * unreachable (`tool_unavailable`), not configured or lacking a selected tool (`invalid_input`).
 */
export async function openMcpTools(loop: Loop): Promise<RunOutcome | undefined> {
  const { run } = loop;
  const selections = run.agent.mcp ?? [];
  let pinned = run.input.resume?.mcp;
  if (!pinned) {
    if (selections.length === 0) return undefined;
    try {
      const listed = await listMcpToolsActivity()({
        runId: run.id,
        servers: selections.map(({ server, tools }) => ({ server, ...(tools ? { tools } : {}) })),
      });
      pinned = listed.tools.map((t) => {
        const paths = selections.find((s) => s.server === t.server)?.paths;
        return paths ? { ...t, paths } : t;
      });
    } catch (err) {
      if (isCancellation(err)) throw err;
      const failure = failureFromError(err);
      run.note(`MCP tools could not be listed (${failure.type}): ${failure.message}`);
      return { kind: 'failed', failure };
    }
    const clash = pinned.find((t) => catalog().tool(t.name) || delegateContract(run, t.name));
    if (clash) {
      const message = `the MCP tool "${clash.name}" has the name of a tool this run offers already; rename the server "${clash.server}"`;
      return { kind: 'failed', failure: make('invalid_input', message) };
    }
  }
  const contracts = new Map(pinned.map((t) => [t.name, mcpToolContract(t)]));
  const pins: Record<string, string> = {};
  const hidden: string[] = [];
  for (const contract of contracts.values()) {
    const missing = missingScopes(contract, run.principal);
    if (missing.length) {
      hidden.push(`${contract.name} (needs scope ${missing.join(', ')})`);
      continue;
    }
    run.offered.push(contract.name);
    loop.request.tools.push(toolSpec(contract));
    pins[contract.name] = toolFingerprint(contract);
  }
  // A new run pins the versions with its native tools'; a continuation carries them already.
  if (!run.input.resume) run.tools = { ...run.tools, ...pins };
  byRun.set(run, { pinned, contracts, pins });
  const servers = [...new Set(pinned.map((t) => t.server))];
  run.note(`MCP: ${Object.keys(pins).length} tool(s) offered from ${servers.join(', ') || 'no server'}`);
  if (hidden.length) run.note(`MCP tools not offered to ${run.principal.user}: ${hidden.join(', ')}`);
  return undefined;
}

/** The contract of a pinned MCP tool by the name the model used, if it is one. */
export function mcpContract(run: RunState, name: string): ToolContract | undefined {
  return byRun.get(run)?.contracts.get(name);
}

/** The pins of a run without any: one object, so an unchanged offer keeps its identity. */
const noPins: Readonly<Record<string, string>> = Object.freeze({});

/** The offered MCP tools' versions, for the tool set a model call records. */
export function mcpPins(run: RunState): Readonly<Record<string, string>> {
  return byRun.get(run)?.pins ?? noPins;
}

/** What a continuation needs of the run's MCP tools: the pinned list. */
export function carriedMcp(run: RunState): Pick<CarriedState, 'mcp'> {
  const pinned = byRun.get(run)?.pinned;
  return pinned ? { mcp: pinned } : {};
}

/** The activity for a gated call: the MCP server's for a pinned MCP tool, the handler's
 * otherwise; both answer `{ content, truncated }`. */
export function toolActivity(
  timeouts: CallTimeouts,
  contract: ToolContract,
  summary: string,
): (input: ExecuteToolInput) => Promise<ExecuteToolResult> {
  const pinned = contract.mcp;
  if (!pinned) return executeToolActivity(timeouts, contract, summary);
  const call = callMcpToolActivity(timeouts, contract, summary);
  // The activity checks schema, scopes, paths and approval again; the description and
  // annotations (often most of a tool's bytes) it does not need, so history is spared them.
  const { description: _description, annotations: _annotations, ...checked } = pinned;
  const tool = { ...checked, description: '' };
  return ({ name: _name, ...input }) => call({ ...input, tool });
}
