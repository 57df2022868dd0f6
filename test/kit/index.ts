/** The testing kit: fake OpenAI / Anthropic servers driven by provider-neutral scripts. */
export type {
  FakeReply,
  FakeUsage,
  FakeStop,
  FakeToolCall,
  FakeTextReply,
  FakeToolCallsReply,
  FakeErrorReply,
  FakeRawReply,
} from './script.ts';
export { usageOf } from './script.ts';
export type { FakeHandler, FakeProviderServer, FakeServerOptions, RecordedRequest } from './fake-server.ts';
export { byModel } from './by-model.ts';
export { startFakeOpenAI } from './openai-fake.ts';
export { startFakeAnthropic } from './anthropic-fake.ts';
export { refundDemoScript } from './demo-script.ts';
