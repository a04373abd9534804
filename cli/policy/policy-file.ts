/** Reading and replacing the policy file the `policy` commands edit (capped read, atomic write, mode 0644: it is public). */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { FleetlogError } from '../../core/errors.ts';
import { MAX_POLICY_CHARS } from '../../core/policy/policy.ts';
import { writeFileAtomicSync } from '../../service/atomic-file.ts';

export function readPolicyText(path: string): string {
  try {
    if (statSync(path).size > MAX_POLICY_CHARS)
      throw new FleetlogError('too_large', `policy ${path} is larger than ${MAX_POLICY_CHARS} bytes`);
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof FleetlogError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new FleetlogError(
      'io',
      `cannot read policy ${path}: ${code}${code === 'ENOENT' ? ' (start one with fleetlog policy init)' : ''}`,
    );
  }
}

export function writePolicyText(path: string, text: string, options: { create?: boolean } = {}): void {
  if (options.create && existsSync(path))
    throw new FleetlogError('io', `refusing to overwrite existing policy ${path}`);
  writeFileAtomicSync(path, text, 'policy', 0o644);
}
