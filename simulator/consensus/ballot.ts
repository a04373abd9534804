/**
 * CASPaxos ballot numbers: (round, node). Rounds order ballots; the node index breaks ties, so two
 * proposers never use the same ballot. The zero ballot is below every ballot a proposer uses.
 */
export interface Ballot {
  readonly round: number;
  readonly node: number;
}

export const ZERO_BALLOT: Ballot = { round: 0, node: 0 };

export function compareBallots(a: Ballot, b: Ballot): number {
  return a.round !== b.round ? a.round - b.round : a.node - b.node;
}

export function formatBallot(b: Ballot): string {
  return `${b.round}.${b.node}`;
}

export function isBallot(value: unknown): value is Ballot {
  const b = value as Ballot;
  return (
    typeof b === 'object' &&
    b !== null &&
    Number.isSafeInteger(b.round) &&
    b.round >= 0 &&
    Number.isSafeInteger(b.node) &&
    b.node >= 0
  );
}
