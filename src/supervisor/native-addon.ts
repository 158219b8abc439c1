// The vendored native addon (native/process-control.cc, built at install by scripts/build-native.mjs):
// a true execve(2) and prctl(2)'s dumpable flag, which Node 20 has no API for. Optional: when it is
// missing (build failed, unsupported platform) or disabled, callers fall back and log it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface NativeProcessControl {
  /** execve(2) with exactly this argv and envp; fds 0-2 made blocking first. Returns only by throwing (`code` = errno name). */
  execve(path: string, argv: readonly string[], envp: readonly string[]): never;
  /** prctl(PR_SET_DUMPABLE, 0). */
  setNonDumpable(): void;
  isDumpable(): boolean;
}

/**
 * Test hook: `SECRETS_AGENT_NATIVE=off` behaves as if the addon had not been built, so tests can
 * run the fallback paths on a machine where it was.
 */
export const nativeAddonEnvVar = 'SECRETS_AGENT_NATIVE';

// The addon sits at <package>/native/build/Release; this file runs from src/supervisor (tsx),
// dist/src/supervisor (tsc) or dist/src/cli (the bundled CLI), two or three levels below the root.
const candidates = ['../../native/build/Release/', '../../../native/build/Release/'].map(
  (dir) => new URL(`${dir}secrets_agent_native.node`, import.meta.url),
);

let loaded: NativeProcessControl | null | undefined;

// The addon, or undefined when it is absent, fails to load, or is disabled by the test hook.
export function loadNativeAddon(): NativeProcessControl | undefined {
  if (loaded === undefined) {
    loaded = null;
    if (process.env[nativeAddonEnvVar] !== 'off' && process.platform === 'linux') {
      for (const url of candidates) {
        const path = fileURLToPath(url);
        // process.dlopen straight away: require() would first search this depth's missing path
        // (and build an error for it), costing `run` about a millisecond at start-up.
        if (!existsSync(path)) continue;
        try {
          const module = { exports: {} };
          process.dlopen(module, path);
          loaded = module.exports as NativeProcessControl;
          break;
        } catch {
          // Not loadable (another architecture, a broken build): try the next, then give up.
        }
      }
    }
  }
  return loaded ?? undefined;
}

// Makes this process non-dumpable: other processes of its user (a workload it supervises) can no
// longer read /proc/<pid>/environ or mem, nor ptrace it. False when the addon is unavailable.
export function makeNonDumpable(): boolean {
  const addon = loadNativeAddon();
  if (addon === undefined) return false;
  try {
    addon.setNonDumpable();
    return true;
  } catch {
    // prctl refused (it does not on Linux >= 2.6.13); the caller warns as for a missing addon.
    return false;
  }
}
