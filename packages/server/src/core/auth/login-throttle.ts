import { rateLimited } from '../rate-limit-error.js';
import type { RateLimiter, RateRules } from '../rate-rules.js';

/**
 * Login throttling that slows guessing without letting an attacker lock the real user out (ASVS 6.1.1):
 *
 * - `login_ip`: every attempt from one IP counts, whatever the account.
 * - `login_account_ip`: attempts for one account from one IP, cleared by a successful login.
 * - `login_account`: attempts for one account from IPs that account has never had a session from.
 *   An IP the user has logged in from before is exempt, so a flood of guesses from elsewhere cannot
 *   keep the owner out of their own account.
 *
 * Accounts are keyed by the lower-cased username, existing or not, so throttling does not reveal
 * which usernames exist.
 */
export class LoginThrottle {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly rules: Pick<RateRules, 'login_ip' | 'login_account_ip' | 'login_account'>,
  ) {}

  /**
   * Counts an attempt and refuses it when any applicable limit is reached. Every counter is consumed
   * here, before the password is checked: counting failures only after the ~30 ms verification let
   * concurrent guesses all pass a mere peek, so a burst got far more guesses than the limits allow.
   * A success then clears its account-and-IP counter; one from an unknown IP stays counted.
   */
  async admit(username: string, ipHash: string, knownIp: boolean): Promise<void> {
    const ipDecision = await this.limiter.consume(`ip:${ipHash}`, this.rules.login_ip);
    if (!ipDecision.allowed) throw rateLimited(this.rules.login_ip, ipDecision);
    const pair = await this.limiter.consume(this.pairKey(username, ipHash), this.rules.login_account_ip);
    if (!pair.allowed) throw rateLimited(this.rules.login_account_ip, pair);
    if (!knownIp) {
      const account = await this.limiter.consume(this.accountKey(username), this.rules.login_account);
      if (!account.allowed) throw rateLimited(this.rules.login_account, account);
    }
  }

  async succeeded(username: string, ipHash: string): Promise<void> {
    await this.limiter.reset(this.pairKey(username, ipHash), this.rules.login_account_ip);
  }

  private pairKey(username: string, ipHash: string): string {
    return `${username.toLowerCase()}:${ipHash}`;
  }

  private accountKey(username: string): string {
    return username.toLowerCase();
  }
}
