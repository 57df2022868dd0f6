/**
 * The peer's worker (`npm run bench -- --peer` starts it as a child process, with the bench's
 * Node, from bench/peer so it loads this package's @temporalio/* and AI SDK): the AiSdkPlugin
 * over an OpenAI provider pointed at the bench's fake model (./provider.ts), the workflow in
 * ./workflows.ts (bundled beforehand by ./bundle.ts), the tools of ./activities.ts. Settings
 * come from the parent (../child-protocol.ts).
 */
import { AiSdkPlugin } from '@temporalio/ai-sdk';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { childConfig, failChild, serveParent } from '../child-protocol.ts';
import { peerActivities } from './activities.ts';
import { modelProvider } from './provider.ts';

interface PeerChildConfig {
  address: string;
  taskQueue: string;
  baseURL: string;
  /** The workflow bundle ./bundle.ts wrote. */
  bundlePath: string;
}

try {
  const config = childConfig<PeerChildConfig>();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: config.address });
  const worker = await Worker.create({
    connection,
    taskQueue: config.taskQueue,
    plugins: [new AiSdkPlugin({ modelProvider: modelProvider(config.baseURL) })],
    workflowBundle: { codePath: config.bundlePath },
    // As short as the Bosun worker's (worker/create-worker.ts): history is compared.
    buildId: 'peer-0123456789abcdef',
    activities: peerActivities,
  });
  await serveParent(worker);
  await connection.close();
} catch (err) {
  failChild(err);
}
