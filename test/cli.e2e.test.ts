/**
 * The `kryonix` command line, run as a real child process against each store: migrations, tenants,
 * platform-owner keys (list, revoke), master-key rotation, their audit entries as the API shows them,
 * and one clear line (never a stack trace) for bad input.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { listAudit } from '../src/platform/audit.js';
import { insertApiKey } from '../src/platform/auth/api-keys.js';
import { keyIdOf, loadKeyring, Sealer, sealedBinding } from '../src/platform/crypto.js';
import { openDatabase } from '../src/platform/db/client.js';
import { createPlatform, type Platform } from '../src/start.js';
import { runCli } from './support/cli.js';
import { call } from './support/platform.js';
import { describeStores, leaseStore, type StoreLease } from './support/stores.js';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const actor = `cli:${os.userInfo().username}`;

/** The platform in this process on the store the commands used (the embedded one admits one process). */
async function startPlatform(env: Record<string, string>): Promise<{ platform: Platform; baseUrl: string }> {
  const platform = await createPlatform(loadConfig({ ...env, API_LOG_LEVEL: 'silent' }));
  await platform.app.listen({ host: '127.0.0.1', port: 0 });
  const address = platform.app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return { platform, baseUrl: `http://127.0.0.1:${address.port}` };
}

async function ownerKeyOf(platform: Platform): Promise<string> {
  const { key } = await platform.db.withPlatform((tx) =>
    insertApiKey(tx, { tenantId: null, name: 'test owner', role: 'owner' }),
  );
  return key;
}

/** The one line a failed command prints, checked to be all it printed. */
function oneLine(result: { code: number | null; output: string }): string {
  expect(result.code, result.output).toBe(1);
  const lines = result.output.trim().split('\n');
  expect(lines, result.output).toHaveLength(1);
  expect(result.output).not.toMatch(/\n\s+at /);
  return lines[0];
}

describeStores('kryonix command line', (store) => {
  let lease: StoreLease;
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    runCli(args, { ...lease.env, ...extra });

  beforeAll(async () => {
    lease = await leaseStore(store);
  });
  afterAll(async () => {
    await lease?.release();
  });

  it('migrates, and migrating again changes nothing', async () => {
    const first = await cli(['migrate']);
    expect(first.code, first.output).toBe(0);
    expect(first.output).toBe('migrations applied\n');
    // Read without starting the platform, whose first start would add the default tenant.
    const applied = async () => {
      const db = await openDatabase(loadConfig({ ...lease.env, API_LOG_LEVEL: 'silent' }));
      try {
        const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations');
        return rows[0].n as number;
      } finally {
        await db.close();
      }
    };
    const before = await applied();
    expect(before).toBeGreaterThan(0);
    const second = await cli(['migrate']);
    expect(second.code, second.output).toBe(0);
    expect(await applied()).toBe(before);
  }, 120_000);

  let acme: { id: string; adminKey: string };
  let owner: { id: string; key: string };

  it('creates and lists tenants; a taken or malformed slug is one line and changes nothing', async () => {
    const created = await cli(['tenants', 'create', 'acme', '--name', 'Acme Corp']);
    expect(created.code, created.output).toBe(0);
    const match = created.output.match(
      new RegExp(`^tenant (${UUID}) \\(acme\\)\\nadmin API key \\(shown once\\): (krx_\\S+)\\n$`),
    );
    expect(match, created.output).not.toBeNull();
    acme = { id: match![1], adminKey: match![2] };

    expect(oneLine(await cli(['tenants', 'create', 'acme']))).toBe(
      'kryonix: tenant slug "acme" already exists',
    );
    expect(oneLine(await cli(['tenants', 'create', 'Bad Slug!']))).toBe(
      'kryonix: tenant slug "Bad Slug!" must be 1 to 63 lowercase letters, digits and dashes, starting with a letter or digit',
    );
    expect(oneLine(await cli(['tenants', 'create', 'ok', '--name', ' ']))).toMatch(
      /^kryonix: option '--name <name>' argument ' ' is invalid/,
    );

    const listed = await cli(['tenants', 'list']);
    expect(listed.code, listed.output).toBe(0);
    expect(listed.output).toContain(`${acme.id}\tacme\tactive\tAcme Corp\n`);
    expect(listed.output).not.toMatch(/Bad Slug|\tok\t/);
    // The default tenant comes from the first start; these commands never made one.
    expect(listed.output.trim().split('\n')).toHaveLength(1);
  }, 120_000);

  it('creates and lists platform-owner keys, and a tenant’s keys by slug, never showing a secret', async () => {
    const created = await cli(['keys', 'create-owner', '--name', 'ops']);
    expect(created.code, created.output).toBe(0);
    const match = created.output.match(
      new RegExp(`^platform-owner API key (${UUID}) \\(shown once\\): (krx_\\S+)\\n$`),
    );
    expect(match, created.output).not.toBeNull();
    owner = { id: match![1], key: match![2] };

    const listed = await cli(['keys', 'list']);
    expect(listed.code, listed.output).toBe(0);
    const [header, ...rows] = listed.output.trim().split('\n');
    expect(header).toBe('id\tname\trole\tprefix\tcreated\texpires\tlast used\trevoked');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(
      new RegExp(`^${owner.id}\\tops\\towner\\t${owner.key.slice(0, 12)}\\t\\d{4}-\\S+Z\\t-\\t-\\t-$`),
    );
    expect(listed.output).not.toContain(owner.key);
    expect(listed.output).not.toContain(createHash('sha256').update(owner.key).digest('hex'));

    const tenantKeys = await cli(['keys', 'list', '--tenant', 'acme']);
    expect(tenantKeys.code, tenantKeys.output).toBe(0);
    expect(tenantKeys.output).toMatch(/\tfirst admin\tadmin\t/);
    expect(tenantKeys.output).not.toContain(owner.id);
    expect(tenantKeys.output).not.toContain(acme.adminKey);
    expect((await cli(['keys', 'list', '--tenant', acme.id])).output).toBe(tenantKeys.output);
    expect(oneLine(await cli(['keys', 'list', '--tenant', 'nobody']))).toBe(
      'kryonix: tenant "nobody" not found',
    );
  }, 120_000);

  it('records the commands in the audit log: the tenant’s admin sees its own, the owner the platform’s', async () => {
    const { platform, baseUrl } = await startPlatform(lease.env);
    try {
      const tenantLog = await call(baseUrl, 'GET', '/api/integrations/audit-log?limit=50', {
        key: acme.adminKey,
      });
      expect(tenantLog.status).toBe(200);
      const keyEntry = tenantLog.body.items.find((entry: any) => entry.action === 'api_key.create');
      expect(tenantLog.body.items.map((entry: any) => entry.action).sort()).toEqual([
        'api_key.create',
        'tenant.create',
      ]);
      expect(tenantLog.body.items).toContainEqual(
        expect.objectContaining({
          action: 'tenant.create',
          resourceType: 'tenant',
          resourceId: acme.id,
          actor,
          sourceIp: null,
        }),
      );
      expect(keyEntry).toMatchObject({
        resourceType: 'api_key',
        actor,
        sourceIp: null,
        details: { role: 'admin' },
      });

      const platformLog = await call(baseUrl, 'GET', '/api/integrations/platform/audit-log?limit=50', {
        key: owner.key,
      });
      expect(platformLog.status).toBe(200);
      expect(platformLog.body.items).toEqual([
        expect.objectContaining({
          action: 'api_key.create',
          resourceType: 'api_key',
          resourceId: owner.id,
          actor,
          sourceIp: null,
          details: { role: 'owner' },
        }),
      ]);
      // Tenants never see the platform's entries, and tenant keys cannot read the platform log.
      expect(JSON.stringify(tenantLog.body)).not.toContain(owner.id);
      const refused = await call(baseUrl, 'GET', '/api/integrations/platform/audit-log', {
        key: acme.adminKey,
      });
      expect(refused.status).toBe(403);
    } finally {
      await platform.close();
    }
  }, 120_000);

  it('revokes a platform-owner key: the API refuses it (401) and the revocation is audited', async () => {
    const revoked = await cli(['keys', 'revoke', owner.id]);
    expect(revoked.code, revoked.output).toBe(0);
    expect(revoked.output).toMatch(new RegExp(`^revoked API key ${owner.id} \\(owner, "ops"\\); `));
    expect(oneLine(await cli(['keys', 'revoke', owner.id]))).toMatch(
      new RegExp(`^kryonix: API key ${owner.id} was already revoked at \\d{4}-\\S+Z$`),
    );
    expect(oneLine(await cli(['keys', 'revoke', 'not-a-key']))).toBe(
      'kryonix: no API key with id "not-a-key"',
    );
    const listed = await cli(['keys', 'list']);
    expect(listed.output).toMatch(new RegExp(`^${owner.id}\\t.*\\t\\d{4}-\\S+Z$`, 'm'));

    const { platform, baseUrl } = await startPlatform(lease.env);
    try {
      const refused = await call(baseUrl, 'GET', '/api/integrations/tenants', { key: owner.key });
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('KRX_UNAUTHENTICATED');
      const otherOwner = await ownerKeyOf(platform);
      const platformLog = await call(
        baseUrl,
        'GET',
        '/api/integrations/platform/audit-log?action=api_key.revoke',
        { key: otherOwner },
      );
      expect(platformLog.body.items).toEqual([
        expect.objectContaining({
          resourceType: 'api_key',
          resourceId: owner.id,
          actor,
          sourceIp: null,
          details: { role: 'owner' },
        }),
      ]);
      // The tenant's key still works.
      expect((await call(baseUrl, 'GET', '/api/integrations/audit-log', { key: acme.adminKey })).status).toBe(
        200,
      );
    } finally {
      await platform.close();
    }
  }, 120_000);

  it('revokes a tenant key into the tenant’s audit log', async () => {
    const listed = await cli(['keys', 'list', '--tenant', 'acme']);
    const keyId = listed.output.match(new RegExp(`^(${UUID})\\tfirst admin`, 'm'))![1];
    const revoked = await cli(['keys', 'revoke', keyId]);
    expect(revoked.code, revoked.output).toBe(0);
    expect(revoked.output).toMatch(/\(admin, "first admin"\)/);
    const { platform, baseUrl } = await startPlatform(lease.env);
    try {
      expect((await call(baseUrl, 'GET', '/api/integrations/audit-log', { key: acme.adminKey })).status).toBe(
        401,
      );
      const read = await platform.db.withTenant(acme.id, (tx) =>
        listAudit(tx, { limit: 10, action: 'api_key.revoke' }),
      );
      expect(read).toEqual([expect.objectContaining({ tenantId: acme.id, resourceId: keyId, actor })]);
    } finally {
      await platform.close();
    }
  }, 120_000);
});

describeStores('kryonix keys rotate-master with API_ENCRYPTION_KEY_PREVIOUS', (store) => {
  const oldKey = Buffer.alloc(32, 1).toString('base64');
  const newKey = Buffer.alloc(32, 2).toString('base64');
  let lease: StoreLease;

  beforeAll(async () => {
    lease = await leaseStore(store);
  });
  afterAll(async () => {
    await lease?.release();
  });

  it('re-encrypts every secret under the new key, audited once per run and once per tenant with counts', async () => {
    // Secrets sealed under the old key: a connection's credentials and a subscription's secrets.
    let { platform, baseUrl } = await startPlatform({ ...lease.env, API_ENCRYPTION_KEY: oldKey });
    const adminKey = platform.bootstrapKey!;
    let connectionId: string;
    let tenantId: string;
    try {
      const created = await call(baseUrl, 'POST', '/api/integrations/connections', {
        key: adminKey,
        body: {
          connectorId: 'rest',
          name: 'sealed',
          config: { baseUrl: 'https://example.com' },
          credentials: { token: 'abc' },
          authConfig: { type: 'bearer' },
        },
      });
      expect(created.status).toBe(201);
      connectionId = created.body.id;
      const subscription = await call(baseUrl, 'POST', '/api/integrations/webhooks/subscriptions', {
        key: adminKey,
        body: { name: 'out', targetUrl: 'https://example.com/hook', events: ['test.event'] },
      });
      expect(subscription.status).toBe(201);
      tenantId = (await call(baseUrl, 'GET', '/api/integrations/me', { key: adminKey })).body.tenantId;
    } finally {
      await platform.close();
    }

    // Without the previous key the old envelopes do not open: one line, and nothing changes.
    const missing = await runCli(['keys', 'rotate-master'], { ...lease.env, API_ENCRYPTION_KEY: newKey });
    expect(oneLine(missing)).toBe(
      `kryonix: no master key with id ${keyIdOf(Buffer.from(oldKey, 'base64'))} is configured`,
    );

    const rotated = await runCli(['keys', 'rotate-master'], {
      ...lease.env,
      API_ENCRYPTION_KEY: newKey,
      API_ENCRYPTION_KEY_PREVIOUS: oldKey,
    });
    expect(rotated.code, rotated.output).toBe(0);
    const newKid = keyIdOf(Buffer.from(newKey, 'base64'));
    expect(rotated.output).toBe(`re-encrypted 2 secrets under key ${newKid}\n`);

    // The new key alone opens everything now.
    ({ platform, baseUrl } = await startPlatform({ ...lease.env, API_ENCRYPTION_KEY: newKey }));
    try {
      const { rows } = await platform.db.pool.query('SELECT credentials FROM connections WHERE id = $1', [
        connectionId,
      ]);
      expect(rows[0].credentials.kid).toBe(newKid);
      const sealer = new Sealer(
        loadKeyring({
          encryptionKey: newKey,
          encryptionKeyPrevious: undefined,
          production: false,
          dataDir: lease.dataDir,
        }),
      );
      expect(
        sealer.open(rows[0].credentials, sealedBinding('connections', 'credentials', connectionId)),
      ).toEqual({
        token: 'abc',
      });

      const resealed = {
        'connections.credentials': 1,
        'webhook_subscriptions.authentication': 1,
      };
      const oldKid = keyIdOf(Buffer.from(oldKey, 'base64'));
      const tenantLog = await call(baseUrl, 'GET', '/api/integrations/audit-log?action=master_key.rotate', {
        key: adminKey,
      });
      expect(tenantLog.body.items).toEqual([
        expect.objectContaining({
          resourceType: 'master_key',
          resourceId: newKid,
          actor: `cli:${os.userInfo().username}`,
          sourceIp: null,
          details: { keyId: newKid, fromKeyIds: [oldKid], resealed },
        }),
      ]);
      const platformLog = await call(
        baseUrl,
        'GET',
        '/api/integrations/platform/audit-log?action=master_key.rotate',
        { key: await ownerKeyOf(platform) },
      );
      expect(platformLog.body.items).toEqual([
        expect.objectContaining({ details: { keyId: newKid, fromKeyIds: [oldKid], resealed, tenants: 1 } }),
      ]);
      expect(JSON.stringify(platformLog.body)).not.toContain(tenantId);
    } finally {
      await platform.close();
    }
  }, 180_000);
});

describe('kryonix option checks', () => {
  it('refuses `start --port abc` with one line before touching the data directory', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'krx-cli-'));
    try {
      const result = await runCli(['start', '--port', 'abc'], {
        KRYONIX_DATA_DIR: dataDir,
        API_LOG_LEVEL: 'silent',
      });
      expect(oneLine(result)).toBe(
        "kryonix: option '--port <port>' argument 'abc' is invalid. expected a whole number from 0 to 65535.",
      );
      expect(result.output).not.toContain('krx_');
      // Nothing was created: no database, no master key, no lock.
      expect(fs.readdirSync(dataDir)).toEqual([]);

      expect(oneLine(await runCli(['start', '--workers', '0'], { KRYONIX_DATA_DIR: dataDir }))).toMatch(
        /^kryonix: option '--workers <n>' argument '0' is invalid/,
      );
      expect(oneLine(await runCli(['start', '--role', 'gateway,bogus'], { KRYONIX_DATA_DIR: dataDir }))).toBe(
        `kryonix: option '--role <roles>' argument 'gateway,bogus' is invalid. unknown role "bogus" (known: gateway, webhooks, worker, scheduler).`,
      );
      expect(fs.readdirSync(dataDir)).toEqual([]);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a database it cannot reach is one line naming DATABASE_URL, its password masked', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'krx-cli-'));
    try {
      const result = await runCli(['migrate'], {
        KRYONIX_DATA_DIR: dataDir,
        DATABASE_URL: 'postgres://kx:hunter2@127.0.0.1:1/kx',
      });
      expect(oneLine(result)).toMatch(
        /^kryonix: cannot use DATABASE_URL \(postgres:\/\/kx:\*{8}@127\.0\.0\.1:1\/kx\): connect ECONNREFUSED/,
      );
      expect(result.output).not.toContain('hunter2');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('`keys rotate-master` on a data directory with no secrets yet makes its key and rotates it', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'krx-cli-'));
    try {
      const result = await runCli(['keys', 'rotate-master'], {
        KRYONIX_DATA_DIR: dataDir,
        API_LOG_LEVEL: 'silent',
      });
      expect(result.code, result.output).toBe(0);
      expect(result.output).toMatch(/^re-encrypted 0 secrets under key \w+\n$/);
      const keyFile = JSON.parse(fs.readFileSync(path.join(dataDir, 'master.key'), 'utf8'));
      expect(Object.keys(keyFile.keys)).toEqual([keyFile.current]);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
