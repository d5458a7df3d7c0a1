import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig, parsePostgresUrl } from '../src/config/config.js';

test('defaults give an embedded server on 127.0.0.1:8787 with data in ./data', () => {
  const config = loadConfig({}, '/srv/app');
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 8787);
  assert.equal(config.dataDir, path.resolve('/srv/app', 'data'));
  assert.equal(config.databaseUrl, 'sqlite:' + path.join('/srv/app/data', 'lo.db'));
  assert.equal(config.brokerUrl, 'memory');
  assert.equal(config.jwtSecret, null);
  assert.deepEqual(config.allowedOrigins, []);
  assert.equal(config.accessTokenTtlS, 900);
  assert.equal(config.rateLimits.post.points, 30);
});

test('every invalid variable is reported at once', () => {
  assert.throws(
    () =>
      loadConfig({
        LO_PORT: 'abc',
        LO_JWT_SECRET: 'short',
        LO_LOG_LEVEL: 'loud',
        LO_RATE_LIMITS: 'nope=1/1',
        LO_ALLOWED_ORIGINS: 'not a url',
      }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      const text = error.problems.join('\n');
      for (const name of ['LO_PORT', 'LO_JWT_SECRET', 'LO_LOG_LEVEL', 'LO_RATE_LIMITS', 'LO_ALLOWED_ORIGINS'])
        assert.match(text, new RegExp(name));
      return true;
    },
  );
});

test('rate limit overrides replace only the named rules', () => {
  const config = loadConfig({ LO_RATE_LIMITS: 'post=5/10, signup=1/3600' });
  assert.deepEqual(config.rateLimits.post, { name: 'post', points: 5, durationS: 10 });
  assert.deepEqual(config.rateLimits.signup, { name: 'signup', points: 1, durationS: 3600 });
  assert.equal(config.rateLimits.write.points, 120);
  assert.throws(() => loadConfig({ LO_RATE_LIMITS: 'post=0/10' }), ConfigError);
});

test('database URLs resolve sqlite paths and refuse what this version cannot serve', () => {
  assert.equal(loadConfig({ LO_DATABASE_URL: 'sqlite:db/x.db' }, '/srv').databaseUrl, 'sqlite:/srv/db/x.db');
  assert.throws(() => loadConfig({ LO_DATABASE_URL: 'mysql://x' }), ConfigError);
  assert.throws(() => loadConfig({ LO_BROKER_URL: 'kafka://x' }), ConfigError);
  const pg = 'postgres://lo:secret@db.internal:5432/lo?pool=20&schema=lo_app';
  assert.equal(loadConfig({ LO_DATABASE_URL: pg }).databaseUrl, pg);
  assert.deepEqual(parsePostgresUrl(pg), { url: 'postgres://lo:secret@db.internal:5432/lo', poolSize: 20, schema: 'lo_app' });
  assert.throws(() => loadConfig({ LO_DATABASE_URL: 'postgres://x/db?pool=0' }), /pool=0/);
  assert.throws(() => loadConfig({ LO_DATABASE_URL: 'postgresql://x/db?schema=Robert;drop' }), /schema/);
  for (const broker of ['memory', 'redis://127.0.0.1:6379', 'rediss://cache:6380', 'nats://127.0.0.1:4222']) {
    assert.equal(loadConfig({ LO_BROKER_URL: broker }).brokerUrl, broker);
  }
});

test('allowed origins are normalised and trust-proxy accepts true or an address list', () => {
  const config = loadConfig({ LO_ALLOWED_ORIGINS: 'https://app.example, http://localhost:3000', LO_TRUST_PROXY: '10.0.0.0/8' });
  assert.deepEqual(config.allowedOrigins, ['https://app.example', 'http://localhost:3000']);
  assert.equal(config.trustProxy, '10.0.0.0/8');
  assert.equal(loadConfig({ LO_TRUST_PROXY: 'true' }).trustProxy, true);
  assert.throws(() => loadConfig({ LO_ALLOWED_ORIGINS: 'https://app.example/path' }), ConfigError);
});
