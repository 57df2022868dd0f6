import type { RecordedRequest } from '../kit/index.ts';

/** One message of a recorded chat request, as the tests read it (OpenAI's format: the tests
 * that read messages drive the OpenAI fake). */
export interface ChatMessage {
  role: string;
  content: string;
  [field: string]: unknown;
}

/**
 * The fields of a recorded chat request the tests assert on. A view, not a check: the fake
 * server records whatever the SDK sent (`RecordedRequest.body` is `unknown`), and each test
 * knows which wire format it drives.
 */
export interface ChatBody {
  model: string;
  messages: ChatMessage[];
  tools?: { function: { name: string } }[];
  [field: string]: unknown;
}

/** `req.body` seen as a chat request. */
export const chatBody = (req: RecordedRequest): ChatBody => req.body as ChatBody;
