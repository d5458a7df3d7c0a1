/**
 * A refusal of an operator command (`lo import`, `lo restore`, …) whose message is the whole
 * explanation: what was wrong and what to do. cli/fail.ts prints it without a stack trace, since it
 * is not a bug. Commands that refuse write nothing before throwing it.
 */
export class OperatorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OperatorError';
  }
}
