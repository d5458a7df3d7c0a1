import { Type } from '@sinclair/typebox';
import { LIMITS } from '@lo/protocol';
import { Nullable, strict, Timestamp, UserRef } from './common.js';

export const Username = Type.String({
  minLength: LIMITS.usernameMin,
  maxLength: LIMITS.usernameMax,
  pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$',
  description: 'Letters, digits, `_`, `.`, `-`; unique regardless of case',
});

export const Credentials = Type.Object(
  {
    username: Username,
    // Length in code points is checked by the password policy; this bounds the bytes argon2 is fed.
    password: Type.String({ minLength: 1, maxLength: LIMITS.passwordMax * 2 }),
    device: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.deviceLabelMax })),
  },
  strict,
);

export const RefreshBody = Type.Object({ refresh_token: Type.String({ minLength: 1, maxLength: 256 }) }, strict);

export const AuthResult = Type.Object({
  user: UserRef,
  access_token: Type.String(),
  refresh_token: Type.String(),
  expires_in: Type.Integer(),
  token_type: Type.Literal('Bearer'),
});

export const SessionInfo = Type.Object({
  id: Type.String(),
  device: Nullable(Type.String()),
  created_at: Timestamp,
  last_used_at: Timestamp,
  expires_at: Timestamp,
  current: Type.Boolean(),
});
