import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { AuthResult, Credentials, SessionInfo, UserRef } from '@lo/protocol';
import { LoError } from '../../errors/lo-error.js';
import { newId } from '../../util/ids.js';
import { iso, type Clock } from '../../util/time.js';
import type { AccessClaims, PasswordHasher, PasswordList, TokenCodec } from '../ports.js';
import type { RateLimiter, RateRules } from '../rate-rules.js';
import { NO_REALTIME_EVENTS, type RealtimeEvents } from '../realtime-events.js';
import type { SessionRecord, Store, UserRecord } from '../store.js';
import { LoginThrottle } from './login-throttle.js';
import { checkPassword } from './password-policy.js';

export interface AuthSettings {
  accessTokenTtlS: number;
  /** Absolute session lifetime. */
  refreshTokenTtlS: number;
  /** A session whose refresh token is not used for this long ends. */
  sessionIdleTtlS: number;
  rateLimits: RateRules;
}

export interface AuthDeps {
  store: Store;
  hasher: PasswordHasher;
  tokens: TokenCodec;
  passwords: () => Promise<PasswordList>;
  limiter: RateLimiter;
  clock: Clock;
  /** Key for hashing client IPs; IPs themselves are never stored. */
  ipKey: Uint8Array;
  settings: AuthSettings;
  /** Ends live connections when a session ends. */
  events?: RealtimeEvents;
}

/** Where a request came from, as far as auth cares. */
export interface ClientContext {
  ip: string;
}

/** How long a login from an IP counts as "known" for the account-wide throttle. */
const KNOWN_IP_WINDOW_MS = 90 * 24 * 3600 * 1000;

/**
 * Accounts and sessions. A session is a refresh-token family: each refresh rotates the token, and
 * presenting a rotated token again ends the whole session (ASVS 10.4.5). Access tokens are short JWTs
 * naming their session, and every authenticated request checks that the session still lives, so
 * logout, revocation, bans and account deletion take effect at once, not when the token expires.
 */
export class AuthService {
  private readonly throttle: LoginThrottle;
  private dummyHash: Promise<string> | null = null;

  private readonly events: RealtimeEvents;

  constructor(private readonly deps: AuthDeps) {
    this.events = deps.events ?? NO_REALTIME_EVENTS;
    this.throttle = new LoginThrottle(deps.limiter, deps.settings.rateLimits);
  }

  async signup(credentials: Credentials, client: ClientContext, role: 'user' | 'admin' = 'user'): Promise<AuthResult> {
    checkPassword(credentials.password, credentials.username, await this.deps.passwords());
    const now = this.deps.clock.now();
    const user = await this.deps.store.users.create({
      id: newId(now),
      username: credentials.username,
      passwordHash: await this.deps.hasher.hash(credentials.password),
      role,
      createdAt: now,
    });
    if (user === null) throw new LoError('username_taken');
    await this.audit(user.id, 'auth.signup', user.id);
    return this.startSession(user, credentials.device ?? null, client);
  }

  async login(credentials: Credentials, client: ClientContext): Promise<AuthResult> {
    const ipHash = this.hashIp(client.ip);
    const user = await this.deps.store.users.byUsername(credentials.username);
    const now = this.deps.clock.now();
    const knownIp = user !== null && (await this.deps.store.sessions.knowsIp(user.id, ipHash, now - KNOWN_IP_WINDOW_MS));
    await this.throttle.admit(credentials.username, ipHash, knownIp);
    // Unknown users cost a verification too, so response time does not tell which usernames exist.
    if (user === null) await this.deps.hasher.verify(await this.getDummyHash(), credentials.password);
    const valid = user !== null && (await this.deps.hasher.verify(user.passwordHash, credentials.password));
    if (!valid) {
      await this.audit(user?.id ?? null, 'auth.login_failed', user?.id ?? null);
      throw new LoError('invalid_credentials');
    }
    if (user.bannedAt !== null) throw new LoError('account_banned');
    await this.throttle.succeeded(credentials.username, ipHash);
    return this.startSession(user, credentials.device ?? null, client);
  }

  async refresh(refreshToken: string): Promise<AuthResult> {
    const now = this.deps.clock.now();
    const next = newRefreshToken();
    const result = await this.deps.store.sessions.rotate(hashToken(refreshToken), hashToken(next), now, this.idleSince(now));
    if (result.kind === 'invalid') throw new LoError('refresh_token_invalid');
    if (result.kind === 'reused') {
      await this.audit(result.session.userId, 'auth.refresh_reuse_detected', result.session.id);
      await this.events.sessionEnded(result.session.userId, result.session.id, 'session_ended');
      throw new LoError('refresh_token_reused');
    }
    const user = await this.deps.store.users.byId(result.session.userId);
    if (user === null) throw new LoError('refresh_token_invalid');
    if (user.bannedAt !== null) throw new LoError('account_banned');
    return this.tokens(user, result.session, next);
  }

  async logout(principal: AccessClaims): Promise<void> {
    await this.deps.store.sessions.revoke(principal.sessionId, this.deps.clock.now());
    await this.events.sessionEnded(principal.userId, principal.sessionId, 'session_ended');
  }

  async sessions(principal: AccessClaims): Promise<SessionInfo[]> {
    const now = this.deps.clock.now();
    const sessions = await this.deps.store.sessions.listActive(principal.userId, now, this.idleSince(now));
    return sessions.map((s) => ({
      id: s.id,
      device: s.device,
      created_at: iso(s.createdAt),
      last_used_at: iso(s.lastUsedAt),
      expires_at: iso(s.expiresAt),
      current: s.id === principal.sessionId,
    }));
  }

  async endSession(principal: AccessClaims, sessionId: string): Promise<void> {
    const session = await this.deps.store.sessions.byId(sessionId);
    if (session === null || session.userId !== principal.userId || session.revokedAt !== null) throw new LoError('session_not_found');
    await this.deps.store.sessions.revoke(sessionId, this.deps.clock.now());
    await this.events.sessionEnded(principal.userId, sessionId, 'session_ended');
  }

  /** Checks an access token and that its session and account are still live. */
  async authenticate(accessToken: string): Promise<AccessClaims> {
    return (await this.authenticateUser(accessToken)).claims;
  }

  /**
   * `authenticate`, also handing over who the account is: the WebSocket `auth` needs the username, and
   * reading the account a second time for it was a measurable part of every (re)connect. The session and
   * account are read on every call, not cached: a ban is a change to the account row that no event
   * announces, and an ended session or a ban must refuse the token at once, on every node (SECURITY.md).
   */
  async authenticateUser(accessToken: string): Promise<{ claims: AccessClaims; user: UserRef }> {
    const claims = await this.deps.tokens.verifyAccess(accessToken);
    const now = this.deps.clock.now();
    const session = await this.deps.store.sessions.byId(claims.sessionId);
    if (session === null || session.userId !== claims.userId || session.revokedAt !== null || session.expiresAt <= now) {
      throw new LoError('session_ended');
    }
    const user = await this.deps.store.users.byId(claims.userId);
    if (user === null) throw new LoError('session_ended');
    if (user.bannedAt !== null) throw new LoError('account_banned');
    return {
      claims: {
        userId: user.id,
        sessionId: session.id,
        role: user.role,
        ...(claims.expiresAt !== undefined && { expiresAt: claims.expiresAt }),
      },
      user: { id: user.id, username: user.username },
    };
  }

  hashIp(ip: string): string {
    return createHmac('sha256', this.deps.ipKey).update(ip).digest('base64url').slice(0, 32);
  }

  private async startSession(user: UserRecord, device: string | null, client: ClientContext): Promise<AuthResult> {
    const now = this.deps.clock.now();
    const session: SessionRecord = {
      id: newId(now),
      userId: user.id,
      device,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: now + this.deps.settings.refreshTokenTtlS * 1000,
      revokedAt: null,
      ipHash: this.hashIp(client.ip),
    };
    const refreshToken = newRefreshToken();
    await this.deps.store.sessions.create(session, hashToken(refreshToken));
    return this.tokens(user, session, refreshToken);
  }

  private async tokens(user: UserRecord, session: SessionRecord, refreshToken: string): Promise<AuthResult> {
    const ttl = this.deps.settings.accessTokenTtlS;
    const accessToken = await this.deps.tokens.issueAccess({ userId: user.id, sessionId: session.id, role: user.role }, ttl);
    return {
      user: { id: user.id, username: user.username },
      access_token: accessToken,
      refresh_token: refreshToken,
      expires_in: ttl,
      token_type: 'Bearer',
    };
  }

  private idleSince(now: number): number {
    return now - this.deps.settings.sessionIdleTtlS * 1000;
  }

  private getDummyHash(): Promise<string> {
    this.dummyHash ??= this.deps.hasher.hash(randomBytes(16).toString('hex'));
    return this.dummyHash;
  }

  private async audit(actorId: string | null, action: string, target: string | null): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.store.audit.record({ id: newId(now), at: now, actorId, action, target, data: null });
  }
}

/** Refresh tokens are 256 random bits (ASVS 7.2.3), stored only as a SHA-256 hash. */
function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
