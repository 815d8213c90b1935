/** Parses `--plugin NAME_OR_PATH`: a package name, or a path to a module file (see load-plugins.ts). */
export function parsePlugin(value: string): string {
  if (value.trim() === '') {
    throw new Error('Give a package name (syncflow-backend-x) or a path to a module (./my-backend.mjs).')
  }
  return value
}
