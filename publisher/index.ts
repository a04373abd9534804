/**
 * The publisher role's programmatic API: publishing fleet key sets as two parties, the same
 * functions the `fleetlog fleet …` commands, the simulator's ceremony and the demo call.
 *
 * Pure steps (core/publish/): evidenceFromDescription, draftKeyset, signAsPublisher,
 * countersignKeyset, publishChecks, diffKeysets, formatKeysetDraft / parseKeysetDraft.
 * Steps that read or write the log (here): reviewForCountersign, countersign, submitKeyset,
 * waitForBundle, fetchBundle, currentKeyset; PublishLogClient talks HTTP.
 */
export { evidenceFromDescription } from '../core/publish/deployment-description.ts';
export {
  countersignKeyset,
  draftKeyset,
  formatKeysetDraft,
  parseKeysetDraft,
  signAsPublisher,
  type DraftOptions,
  type KeysetDraft,
} from '../core/publish/keyset-draft.ts';
export { diffKeysets, type KeysetDiff } from '../core/publish/keyset-diff.ts';
export {
  publishChecks,
  requirePinnedKey,
  requirePublishChecks,
  type PublishCheck,
  type PublishContext,
} from '../core/publish/publish-checks.ts';
export { currentKeyset, type CurrentKeyset } from './current-keyset.ts';
export { PublishLogClient, type SubmittedEntry } from './log-client.ts';
export {
  countersign,
  decodeEvidence,
  decodeKeyset,
  fetchBundle,
  reviewForCountersign,
  submitKeyset,
  type ReviewOptions,
  type SubmitOptions,
  type SubmitResult,
} from './publish.ts';
export { formatReview, type CountersignReview } from './review.ts';
export { verifyBundle, waitForBundle, type VerifiedBundle } from './wait-for-bundle.ts';
