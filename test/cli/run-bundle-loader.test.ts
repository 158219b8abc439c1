// issue 13: `run`'s bundle loaded through vm.Script with V8's code cache: a private 0700 cache
// directory, a stale cache (other bundle) replaced, one V8 refuses or a corrupt file rebuilt, and
// none of them stopping the bundle from running. Real files, real V8 (Node 20's path is forced).
import { mkdir, mkdtemp, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunBundle, maxCachesPerPrefix, sampleChecksum } from '../../src/cli/run-bundle-loader.js';

const execFileAsync = promisify(execFile);

// A small real CommonJS bundle with the entry's shape; `version` changes its bytes.
function bundleSource(version: number): string {
  const helpers = Array.from(
    { length: 50 },
    (_unused, index) => `function helper${index}(x) { return x * ${index + 1} + ${version}; }`,
  ).join('\n');
  return `"use strict";\n${helpers}\nexports.runFromBundle = async function (argv, warm) {\n  let sum = 0;\n  for (let i = 0; i < 50; i++) sum += eval('helper' + i)(argv.length);\n  warm?.();\n  return sum % 256;\n};\n`;
}

async function setUp(): Promise<{ bundle: string; env: Record<string, string>; cacheDir: string }> {
  const root = await mkdtemp(join(tmpdir(), 'run-bundle-'));
  const bundle = join(root, 'run-bundle.cjs');
  await writeFile(bundle, bundleSource(1));
  return { bundle, env: { XDG_CACHE_HOME: join(root, 'cache') }, cacheDir: join(root, 'cache', 'secrets-agent') };
}

// Each load in its own process, as each `run` is: V8 also keeps compiled scripts per process,
// which would hide what the cache file did.
const tsxLoader = fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url));
const loaderModule = fileURLToPath(new URL('../../src/cli/run-bundle-loader.ts', import.meta.url));

async function runOnce(bundle: string, env: Record<string, string>): Promise<{ cache: string; code: number }> {
  const { packages: _packages, ...result } = await runReporting(bundle, env);
  return result;
}

async function runReporting(
  bundle: string,
  env: Record<string, string>,
): Promise<{ cache: string; code: number; packages: Record<string, string> }> {
  const script = `import { loadRunBundle } from ${JSON.stringify(loaderModule)};
const loaded = loadRunBundle(${JSON.stringify(bundle)}, { env: process.env });
const code = await loaded.bundle.runFromBundle(['run', '--app', 'x'], loaded.warm);
console.log(JSON.stringify({ cache: loaded.cache, code, packages: loaded.packageCaches() }));`;
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--import', tsxLoader, '--input-type=module', '-e', script],
    {
      env: { PATH: process.env['PATH'] ?? '', ...env },
    },
  );
  return JSON.parse(stdout.trim()) as { cache: string; code: number; packages: Record<string, string> };
}

async function cacheFiles(directory: string): Promise<string[]> {
  return (await readdir(directory)).filter((name) => name.endsWith('.v8cache'));
}

describe('loadRunBundle with a V8 code cache (vm.Script)', () => {
  it('writes the cache after the work into a 0700 directory, then uses it', async () => {
    const { bundle, env, cacheDir } = await setUp();
    const first = await runOnce(bundle, env);
    expect(first.cache).toBe('missing');
    expect((await stat(cacheDir)).mode & 0o777).toBe(0o700);
    const [file] = await cacheFiles(cacheDir);
    // Named for the bundle's location, Node's version, the CPU and the bundle file's identity
    // (device, inode, size, times).
    expect(file).toMatch(/^run-[0-9a-f]{8}-v\d+\.\d+\.\d+-[a-z0-9]+(-\d+){5}\.v8cache$/);
    expect((await stat(join(cacheDir, file ?? ''))).mode & 0o777).toBe(0o600);
    const second = await runOnce(bundle, env);
    expect(second).toEqual({ cache: 'accepted', code: first.code });
  });

  it('does not use the cache of another bundle: a stale one is replaced by the new one', async () => {
    const { bundle, env, cacheDir } = await setUp();
    await runOnce(bundle, env);
    const [stale] = await cacheFiles(cacheDir);
    await writeFile(bundle, bundleSource(2));
    const changed = await runOnce(bundle, env);
    expect(changed.cache).toBe('missing');
    const after = await cacheFiles(cacheDir);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(stale);
    expect((await runOnce(bundle, env)).cache).toBe('accepted');
  });

  it('keeps a cache per install: two bundles at different paths used in turn both stay accepted', async () => {
    const { bundle, env, cacheDir } = await setUp();
    const other = join(bundle, '../other/run-bundle.cjs');
    await mkdir(dirname(other));
    await writeFile(other, bundleSource(2));
    await runOnce(bundle, env);
    await runOnce(other, env);
    expect(await cacheFiles(cacheDir)).toHaveLength(2);
    for (let round = 0; round < 2; round += 1) {
      expect((await runOnce(bundle, env)).cache).toBe('accepted');
      expect((await runOnce(other, env)).cache).toBe('accepted');
    }
  });

  it('keeps the caches of the newest installs only, up to maxCachesPerPrefix', async () => {
    const { bundle, env, cacheDir } = await setUp();
    const bundles = [bundle];
    for (let index = 1; index <= maxCachesPerPrefix + 2; index += 1) {
      const other = join(bundle, `../install-${index}/run-bundle.cjs`);
      await mkdir(dirname(other));
      await writeFile(other, bundleSource(index));
      bundles.push(other);
    }
    for (const each of bundles) {
      await runOnce(each, env);
      // Distinct modification times on coarse file systems.
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    expect(await cacheFiles(cacheDir)).toHaveLength(maxCachesPerPrefix);
    expect((await runOnce(bundles.at(-1) ?? '', env)).cache).toBe('accepted');
    expect((await runOnce(bundles.at(-maxCachesPerPrefix) ?? '', env)).cache).toBe('accepted');
    expect((await runOnce(bundle, env)).cache).toBe('missing');
  });

  it('rebuilds a cache V8 refuses (cachedDataRejected), and the bundle still runs', async () => {
    const { bundle, env, cacheDir } = await setUp();
    const expected = (await runOnce(bundle, env)).code;
    const [file] = await cacheFiles(cacheDir);
    const path = join(cacheDir, file ?? '');
    // Whole by our header and checksum, but not V8 code cache data for this source.
    const payload = Buffer.alloc(4096, 7);
    await writeFile(path, Buffer.concat([cacheHeader(payload), payload]));
    expect(await runOnce(bundle, env)).toEqual({ cache: 'rejected', code: expected });
    expect((await readFile(path)).subarray(12).equals(payload)).toBe(false);
    expect((await runOnce(bundle, env)).cache).toBe('accepted');
  });

  it('never hands V8 a corrupt or truncated file; the bundle runs and the cache is rewritten', async () => {
    const { bundle, env, cacheDir } = await setUp();
    const expected = (await runOnce(bundle, env)).code;
    const [file] = await cacheFiles(cacheDir);
    const path = join(cacheDir, file ?? '');
    const whole = await readFile(path);
    // What a crash leaves: the second half zero-filled, a short file, a header of something else.
    const zeroed = Buffer.from(whole);
    zeroed.fill(0, whole.length >>> 1);
    const damaged = [zeroed, whole.subarray(0, 20), Buffer.concat([Buffer.from('XXXX'), whole.subarray(4)])];
    for (const bytes of damaged) {
      await writeFile(path, bytes);
      expect(await runOnce(bundle, env)).toEqual({ cache: 'corrupt', code: expected });
      expect((await runOnce(bundle, env)).cache).toBe('accepted');
    }
  });

  it("gives openpgp.js, required by the bundle, a cache of its own; other requires are Node's", async () => {
    const { bundle, env, cacheDir } = await setUp();
    // The real package, found from the bundle's directory as in an installed package.
    await symlink(
      fileURLToPath(new URL('../../node_modules', import.meta.url)),
      join(bundle, '../node_modules'),
      'dir',
    );
    const source = `"use strict";
exports.runFromBundle = async function (argv, warm) {
  const openpgp = require('openpgp');
  const { basename } = require('node:path');
  const message = await openpgp.createMessage({ text: 'x' });
  warm?.();
  return (Object.keys(openpgp).length + basename('a/b').length + (message ? 1 : 0)) % 256;
};
`;
    await writeFile(bundle, source);
    const first = await runReporting(bundle, env);
    expect(first).toMatchObject({ cache: 'missing', packages: { openpgp: 'missing' } });
    const files = await cacheFiles(cacheDir);
    expect(files.filter((name) => name.startsWith('openpgp-'))).toHaveLength(1);
    expect(files.filter((name) => name.startsWith('run-'))).toHaveLength(1);
    const second = await runReporting(bundle, env);
    expect(second).toEqual({ cache: 'accepted', code: first.code, packages: { openpgp: 'accepted' } });
    // A new bundle replaces the bundle's cache only.
    await writeFile(bundle, `${source}\n// changed\n`);
    expect(await runReporting(bundle, env)).toMatchObject({ cache: 'missing', packages: { openpgp: 'accepted' } });
    expect((await cacheFiles(cacheDir)).filter((name) => name.startsWith('openpgp-'))).toHaveLength(1);
  });

  it('checksums a sample of the payload: length, every 16th word and the tail', () => {
    const payload = Buffer.alloc(4099, 3);
    const sum = sampleChecksum(payload);
    expect(sampleChecksum(Buffer.from(payload))).toBe(sum);
    for (const offset of [0, 64 * 10, 4097]) {
      const changed = Buffer.from(payload);
      changed[offset] = 9;
      expect(sampleChecksum(changed), `byte ${offset}`).not.toBe(sum);
    }
    expect(sampleChecksum(payload.subarray(0, 4098))).not.toBe(sum);
  });

  it('runs without a cache when no private directory can be had', async () => {
    const { bundle } = await setUp();
    const loaded = loadRunBundle(bundle, {
      env: { XDG_CACHE_HOME: '/proc/no-such-dir', HOME: '/proc/no-such-home' },
    });
    // The temp-dir fallback may still work; either way the bundle runs.
    expect(['missing', 'accepted', 'off']).toContain(loaded?.cache);
    expect(typeof (await loaded?.bundle.runFromBundle(['run'], loaded.warm))).toBe('number');
  });

  it('answers undefined when there is no bundle (running from src/)', () => {
    expect(loadRunBundle(join(tmpdir(), 'no-such-bundle.cjs'), { env: {} })).toBeUndefined();
  });
});

// The header a cache file starts with: 'SAV8', payload length, sampleChecksum (little-endian).
function cacheHeader(payload: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header.write('SAV8', 0, 'latin1');
  header.writeUInt32LE(payload.length, 4);
  header.writeUInt32LE(sampleChecksum(payload), 8);
  return header;
}
