/**
 * `fleetlog fleet …`: publishing a fleet key set as two parties. Each step reads and writes files,
 * so the publisher and the countersigner can run on their own machines:
 *
 *   publisher:      fleet evidence -> fleet draft -> fleet sign          (evidence + signed draft)
 *   countersigner:  fleet countersign                                     (complete key set)
 *   publisher:      fleet submit --wait                                   (logged, witnessed, bundle)
 *   anyone:         fleet bundle                                          (current bundle for the CDN)
 */
import { Command } from '@commander-js/extra-typings';
import { bundleCommand } from './commands/bundle.ts';
import { countersignCommand } from './commands/countersign.ts';
import { draftCommand } from './commands/draft.ts';
import { evidenceCommand } from './commands/evidence.ts';
import { signCommand } from './commands/sign.ts';
import { submitCommand } from './commands/submit.ts';

export function fleetCommand() {
  return new Command('fleet')
    .description('publish fleet key sets as two parties: evidence, draft, sign, countersign, submit, bundle')
    .addCommand(evidenceCommand())
    .addCommand(draftCommand())
    .addCommand(signCommand())
    .addCommand(countersignCommand())
    .addCommand(submitCommand())
    .addCommand(bundleCommand());
}
