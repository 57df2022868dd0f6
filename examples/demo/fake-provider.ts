import { startFakeOpenAI, type FakeProviderServer } from '../../testing/index.ts';
import { refundDemoScript } from './demo-script.ts';

/**
 * The demo's stand-in for a real provider: an OpenAI-protocol server (from the testing kit)
 * that replays the recorded refund conversation, so `npm start` shows a whole run without
 * an API key. Each call gets its own copy of the script (the server consumes it).
 *
 * @example
 * const fake = await startDemoProvider();
 * config.OPENAI_BASE_URL = fake.baseURL; // … run the example agent … await fake.close();
 */
export function startDemoProvider(): Promise<FakeProviderServer> {
  return startFakeOpenAI({ script: structuredClone(refundDemoScript) });
}
