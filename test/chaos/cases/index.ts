/** Every case of the campaign, in the order they run. */
import type { ChaosCase } from '../campaign.ts';
import { approvalContinueAsNewCase } from './approval-continue-as-new.ts';
import { payloadCases } from './payloads.ts';
import { providerErrorCases } from './provider-errors.ts';
import { rateLimitCases } from './rate-limit-bursts.ts';
import { serverRestartCase } from './server-restart.ts';
import { tamperingCases } from './tampered-ciphertext.ts';
import { workerFaultCases } from './worker-faults.ts';

export const allCases: ChaosCase[] = [
  ...providerErrorCases,
  ...rateLimitCases,
  ...workerFaultCases,
  serverRestartCase,
  ...payloadCases,
  ...tamperingCases,
  approvalContinueAsNewCase,
];
