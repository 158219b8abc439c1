// Secret delivery: environment building, the tmpfs secret directory, atomic files, sandbox links.
export { agentSecretEnvNames, buildWorkloadEnv, type BuildWorkloadEnvOptions } from './workload-env.js';
export {
  createSecretDir,
  defaultRootRuntimeDir,
  defaultSecretRootDir,
  defaultSecretDirSizeBytes,
  type SecretDir,
  type SecretDirOptions,
} from './secret-dir.js';
export { sweepStaleSecretDirs, type SweepOptions } from './sweep-stale.js';
export { writeSecretFileAtomic, type WriteSecretFileOptions } from './atomic-write.js';
export { linkSecretFiles, type LinkSecretFilesOptions, type SecretFileLink, type SecretLinks } from './link-files.js';
export { parseRelativePath } from './relative-path.js';
export { detectFsType, type SecretFsType } from './fs-type.js';
