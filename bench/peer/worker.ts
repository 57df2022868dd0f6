/**
 * The peer's worker (`npm run bench -- --peer` starts it as a child process, with the bench's
 * Node, from bench/peer so it loads this package's @temporalio/* and AI SDK): the AiSdkPlugin
 * over an OpenAI provider pointed at the bench's fake model, the workflow in ./workflows.ts,
 * the tools of ./activities.ts. Settings come from the parent (../child-protocol.ts).
 */
import { createOpenAI } from '@ai-sdk/openai';
import type { ProviderV4 } from '@ai-sdk/provider';
import { AiSdkPlugin } from '@temporalio/ai-sdk';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { childConfig, failChild, serveParent } from '../child-protocol.ts';
import { peerActivities } from './activities.ts';

interface PeerChildConfig {
  address: string;
  taskQueue: string;
  baseURL: string;
}

try {
  const config = childConfig<PeerChildConfig>();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const openai = createOpenAI({ baseURL: config.baseURL, apiKey: 'bench-key' });
  // The fake model speaks Chat Completions; the provider's default for a model id is the
  // Responses API, so language models are its `chat` ones.
  const modelProvider: ProviderV4 = {
    specificationVersion: 'v4',
    languageModel: (id) => openai.chat(id),
    embeddingModel: (id) => openai.embeddingModel(id),
    imageModel: (id) => openai.imageModel(id),
  };
  const connection = await NativeConnection.connect({ address: config.address });
  const worker = await Worker.create({
    connection,
    taskQueue: config.taskQueue,
    plugins: [new AiSdkPlugin({ modelProvider })],
    workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
    activities: peerActivities,
  });
  await serveParent(worker);
  await connection.close();
} catch (err) {
  failChild(err);
}
