import { outputContract, z } from 'bosun/define';

/** What a `credits` run answers with: the client asks for it with `output`, the run checks
 * the model's answer against it (repairing or escalating), and the client parses it back. */
export const creditDecision = z.object({
  orderId: z.string(),
  creditedCents: z.number().int().nonnegative(),
  message: z.string().min(1).describe('What to tell the customer'),
});
export type CreditDecision = z.infer<typeof creditDecision>;

export const creditDecisionContract = outputContract('credit_decision', creditDecision);
