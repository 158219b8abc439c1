// `secrets-agent daemon` as a recipe: sweep crash leftovers, connect and authenticate once, open
// the status socket, start every task in the apps directory, then follow the directory, the
// credential file and the store's changes until stop(). Signals are the CLI's business
// (src/cli/commands/daemon.ts); this module never touches `process` listeners.
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveAuthMethod } from '../auth/auth-method.js';
import { defaultStateDir } from '../auth/state-dir.js';
import { openConnection, readPasswordFile, type Connection, type ConnectionArgs } from '../cli/connection.js';
import type { CliIo } from '../cli/io.js';
import { SecretsAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { readNodePgpKey, type NodePgpKey } from '../agent/pgp-value.js';
import { defaultSecretRootDir, sweepStaleSecretDirs } from '../deliver/index.js';
import { createDaemonMetrics, recordTaskGauges } from '../metrics/daemon-metrics.js';
import { createMetricsRegistry } from '../metrics/registry.js';
import { notifySystemd, startSystemdWatchdog } from '../systemd/sd-notify.js';
import { watchDirectory, type DirectoryWatch } from '../watch/index.js';
import { startChangeWatch, type ChangeWatch } from './change-watch.js';
import { watchCredentialFile } from './credential-watch.js';
import { fixedSettings, type DaemonSettings } from './daemon-config.js';
import { readPackageVersion } from './package-version.js';
import { createRestartBudget } from './restart-budget.js';
import { createRotatingTokens, type RotatingTokens } from './rotating-tokens.js';
import { createSecretCache } from './secret-cache.js';
import { startStatusServer, type StatusServer } from './status-server.js';
import { defaultStatusSocket, type DaemonStatus } from './status-types.js';
import type { DaemonTaskStatus } from './task.js';
import { createTaskManager, type RejectedFile } from './task-manager.js';
import { isDefinitionFileName } from './task-definition.js';

export interface StartDaemonOptions {
  readonly settings: DaemonSettings;
  readonly connection: ConnectionArgs;
  readonly io: CliIo;
  readonly log: Logger;
  /** Re-reads the settings (the --config file) for reload(); throws when they are invalid. */
  readonly reloadSettings?: () => DaemonSettings;
  /** Environment tasks start from. Default io.env. */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
}

export interface DaemonStatusWithExtras extends DaemonStatus {
  readonly tasks: readonly DaemonTaskStatus[];
  /** Definition files that did not load, with the reason. */
  readonly rejectedFiles: readonly RejectedFile[];
}

export interface Daemon {
  readonly statusSocket: string;
  status(): DaemonStatusWithExtras;
  /** SIGHUP: re-read settings (invalid: logged, old kept), re-list the apps directory, resync secrets. */
  reload(): void;
  /** SIGTERM: stops every task (SIGTERM, then SIGKILL after the kill timeout), removes files. Safe to call twice. */
  stop(): Promise<void>;
}

// Starts the daemon; resolves once every initial task was attempted (READY=1 has been sent).
export async function startDaemon(options: StartDaemonOptions): Promise<Daemon> {
  const { io, log } = options;
  let settings = options.settings;
  if (settings.appsDir === '')
    throw new SecretsAgentError(
      'ERR_USAGE',
      'the daemon needs --apps-dir (or SECRETS_AGENT_APPS_DIR, or `appsDir` in --config)',
    );
  const startedAt = new Date();
  const appsDir = settings.appsDir;
  const stateDir = options.connection.stateDir ?? defaultStateDir({ env: io.env });
  const sandboxRoot = settings.sandboxRoot ?? join(stateDir, 'tasks');
  const secretRoot = settings.secretRoot ?? defaultSecretRootDir(io.env);
  settings = { ...settings, secretRoot };
  await assertDirectory(appsDir);
  // Read once, before anything starts: a bad key fails the daemon, as it fails `run`.
  const pgpPrivateKey = await readPgpKey(settings);
  await mkdir(sandboxRoot, { recursive: true, mode: 0o700 });

  // Leftovers of a daemon (or run) that was killed: their owner process is gone.
  const swept = await sweepStaleSecretDirs(secretRoot, { log });
  if (swept.length > 0)
    log.info({ count: swept.length, secretRoot }, 'removed secret directories left by a previous crash');

  const registry = createMetricsRegistry();
  const metrics = createDaemonMetrics(registry);
  let tokens: RotatingTokens | undefined;
  const connection: Connection = await openConnection(options.connection, io, {
    log,
    connections: Math.max(8, settings.maxConcurrentFetches + 2),
    wrapTokens: (own, createTokens) => {
      tokens = createRotatingTokens(own, createTokens, {
        onRenewed: (expiresAt, renewal) => {
          if (renewal) metrics.tokenRenewals.inc();
          metrics.tokenExpiry.set(expiresAt === undefined ? 0 : expiresAt.getTime() / 1000);
        },
      });
      return tokens;
    },
  });
  const closers: (() => Promise<void>)[] = [() => connection.close()];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse())
      await close().catch((error: unknown) => log.error({ err: error }, 'shutdown step failed'));
  };

  try {
    // Authenticate once up front: a bad credential fails the start, not every task.
    if (connection.kind === 'remote') await connection.tokens.getToken();

    const cache = createSecretCache({
      source: connection.api,
      maxConcurrent: settings.maxConcurrentFetches,
      metrics,
      log,
    });
    const budget = createRestartBudget(settings.restartBudget);
    closers.push(async () => budget.close());
    const manager = createTaskManager({
      appsDir,
      log,
      context: {
        cache,
        settings: () => settings,
        budget,
        sandboxRoot,
        baseEnv: options.baseEnv ?? io.env,
        ...(pgpPrivateKey === undefined ? {} : { pgpPrivateKey }),
        metrics,
        log,
      },
    });
    closers.push(() => manager.stopAll());

    let changeWatch: ChangeWatch | undefined;
    const status = (): DaemonStatusWithExtras => {
      const tasks = manager.status();
      const renewal = tokens?.renewal;
      const expiresAt = connection.kind === 'remote' ? connection.tokens.expiresAt : undefined;
      return {
        version: readPackageVersion(),
        startedAt: startedAt.toISOString(),
        pid: process.pid,
        store: {
          url: connection.kind === 'remote' ? connection.url : `file:${connection.dataDir}`,
          feed: changeWatch?.feed ?? 'poll',
          ...(changeWatch?.lastError === undefined ? {} : { lastError: changeWatch.lastError }),
        },
        token: {
          ...(expiresAt === undefined ? {} : { expiresAt: expiresAt.toISOString() }),
          renewals: renewal?.renewals ?? 0,
          ...(renewal?.lastRenewalAt === undefined ? {} : { lastRenewalAt: renewal.lastRenewalAt.toISOString() }),
        },
        tasks,
        rejectedFiles: manager.rejected(),
      };
    };
    registry.onCollect(() => recordTaskGauges(metrics, manager.status()));

    const socketPath = settings.statusSocket ?? defaultStatusSocket({ env: io.env });
    const statusServer: StatusServer = await startStatusServer({
      socketPath,
      getStatus: status,
      metrics: registry,
      metricsListen: settings.metricsListen,
      log,
    });
    closers.push(() => statusServer.close());

    // Watch before listing, so a file written during the first listing is not missed.
    const appsWatch: DirectoryWatch = watchDirectory({
      dir: appsDir,
      accept: isDefinitionFileName,
      debounceMs: settings.debounceMs,
      log,
      onChange: (names) => manager.syncFiles(names),
    });
    closers.push(() => appsWatch.close());
    await appsWatch.ready;

    const credentialFile = credentialFilePath(options.connection, io.env);
    if (credentialFile !== undefined && tokens !== undefined) {
      const credentialWatch = watchCredentialFile({
        file: credentialFile,
        tokens,
        debounceMs: settings.debounceMs,
        log,
      });
      closers.push(() => credentialWatch.close());
    }

    await manager.syncAll();
    changeWatch = startChangeWatch({
      remote:
        connection.kind === 'remote' && settings.changeFeed
          ? { url: connection.url, transport: connection.transport, tokens: connection.tokens }
          : undefined,
      pollIntervalMs: () => settings.pollIntervalMs,
      changeWaitMs: settings.changeWaitMs,
      applyChanges: (paths) => manager.applySecretChanges(paths),
      onFeedLost: () => cache.markUnverified(),
      log,
    });
    const watch = changeWatch;
    closers.push(() => watch.close());
    const counts = manager
      .status()
      .reduce<Record<string, number>>((acc, task) => ({ ...acc, [task.state]: (acc[task.state] ?? 0) + 1 }), {});
    log.info(
      { appsDir, tasks: manager.tasks().length, states: counts, statusSocket: socketPath, feed: watch.feed },
      'daemon ready',
    );
    await notifySystemd('READY=1', { env: io.env, log });
    // Only when the unit sets WatchdogSec=; a blocked event loop then gets the daemon restarted.
    const watchdog = startSystemdWatchdog({ env: io.env, log });
    closers.push(async () => watchdog.close());

    let stopping: Promise<void> | undefined;
    return {
      statusSocket: socketPath,
      status,
      reload() {
        if (options.reloadSettings !== undefined) {
          try {
            const next = { ...options.reloadSettings(), secretRoot };
            const ignored = fixedSettings.filter(
              (name) =>
                name !== 'secretRoot' &&
                next[name] !== settings[name] &&
                !(name === 'sandboxRoot' && next[name] === undefined),
            );
            if (ignored.length > 0)
              log.warn({ settings: ignored }, 'these settings change only with a restart of the daemon');
            settings = { ...next, ...Object.fromEntries(fixedSettings.map((name) => [name, settings[name]])) };
            cache.setMaxConcurrent(settings.maxConcurrentFetches);
            budget.setRate(settings.restartBudget);
            log.info({}, 'configuration reloaded');
          } catch (error) {
            log.error({ err: error }, 'configuration reload failed; keeping the current configuration');
          }
        }
        void manager.syncAll();
        watch.resync();
      },
      stop() {
        stopping ??= (async () => {
          log.info({ tasks: manager.tasks().length }, 'daemon stopping');
          await notifySystemd('STOPPING=1', { env: io.env, log });
          await closeAll();
          log.info({}, 'daemon stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

// The node key of --pgp-key-file / `pgpKeyFile`, unlocked with the passphrase file when given.
async function readPgpKey(settings: DaemonSettings): Promise<NodePgpKey | undefined> {
  if (settings.pgpKeyFile === undefined) {
    if (settings.pgpPassphraseFile !== undefined)
      throw new SecretsAgentError(
        'ERR_CONFIG_INVALID',
        '--pgp-passphrase-file (`pgpPassphraseFile`) needs --pgp-key-file (`pgpKeyFile`)',
      );
    return undefined;
  }
  const passphrase =
    settings.pgpPassphraseFile === undefined ? undefined : await readPasswordFile(settings.pgpPassphraseFile);
  return readNodePgpKey(settings.pgpKeyFile, passphrase);
}

// The credential file to watch, when the credential comes from a file (not inline JSON).
function credentialFilePath(
  args: ConnectionArgs,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const value = args.credentialFile ?? env['DCOS_SERVICE_ACCOUNT_CREDENTIAL'];
  if (value === undefined || value.trim() === '' || value.trim().startsWith('{')) return undefined;
  try {
    return resolveAuthMethod({ credentialFile: value })?.kind === 'service-account' ? value : undefined;
  } catch {
    return undefined;
  }
}

async function assertDirectory(dir: string): Promise<void> {
  try {
    if ((await stat(dir)).isDirectory()) return;
  } catch {
    // Reported below.
  }
  throw new SecretsAgentError('ERR_CONFIG_INVALID', `--apps-dir \`${dir}\` is not a directory`, {
    details: { appsDir: dir },
  });
}
