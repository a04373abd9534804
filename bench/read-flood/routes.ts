/**
 * The unauthenticated read routes the read-flood bench floods, each as a path generator over the
 * log it fills (its tree size and fleet ids). Random parts (indices, widths, sizes, fleets) are
 * what an attacker would vary to miss a cache; a route that must answer 404 says so.
 */
import { formatTileIndex } from '../../core/merkle/tiles.ts';

export interface FloodRoute {
  readonly name: string;
  readonly path: () => string;
  readonly headers?: Record<string, string>;
  /** The status every answer must have (200 unless said). */
  readonly status?: number;
}

export interface FilledLog {
  readonly size: number;
  readonly fleetIds: readonly string[];
  /** The first bulkTiles full bundles are synthetic entries, more of them than the caches hold. */
  readonly bulkTiles: number;
}

const rand = (n: number): number => Math.floor(Math.random() * n);
const GZIP = { 'accept-encoding': 'gzip' };

export function floodRoutes({ size, fleetIds, bulkTiles }: FilledLog): FloodRoute[] {
  const fullTiles = Math.floor(size / 256);
  /** A full tile of the fleets' entries (few enough that the caches hold them), or of the bulk. */
  const fleetTile = (): string => formatTileIndex(bulkTiles + rand(fullTiles - bulkTiles));
  const bulkTile = (): string => formatTileIndex(rand(bulkTiles));
  const fleet = (): string => fleetIds[rand(fleetIds.length)]!;
  const sortedFleets = [...fleetIds].sort();
  return [
    { name: '/fleets?limit=1000', path: () => '/fleets?limit=1000' },
    {
      name: '/fleets?after=<random>&limit=<random>',
      path: () => `/fleets?after=${sortedFleets[rand(sortedFleets.length)]}&limit=${1 + rand(1000)}`,
    },
    {
      name: '/tile/entries/N.p/W random W, gzip',
      path: () => `/tile/entries/${fleetTile()}.p/${1 + rand(255)}`,
      headers: GZIP,
    },
    { name: '/tile/0/N.p/W random W', path: () => `/tile/0/${fleetTile()}.p/${1 + rand(255)}` },
    { name: '/tile/entries/N full, gzip', path: () => `/tile/entries/${fleetTile()}`, headers: GZIP },
    {
      name: '/tile/entries/N full, gzip, past the caches',
      path: () => `/tile/entries/${bulkTile()}`,
      headers: GZIP,
    },
    {
      name: '/tile/entries/N.p/W random W, gzip, past the caches',
      path: () => `/tile/entries/${bulkTile()}.p/${1 + rand(255)}`,
      headers: GZIP,
    },
    {
      name: '/tile/… beyond the tree (404)',
      path: () => `/tile/entries/${formatTileIndex(fullTiles + 1 + rand(1_000_000))}.p/${1 + rand(255)}`,
      headers: GZIP,
      status: 404,
    },
    { name: '/proof/inclusion random index', path: () => `/proof/inclusion?index=${rand(size)}&size=${size}` },
    { name: '/proof/consistency random old', path: () => `/proof/consistency?old=${1 + rand(size - 1)}&new=${size}` },
    { name: '/proof/N (tlog-proof) random', path: () => `/proof/${rand(size)}` },
    { name: '/fleet-bundle/<random fleet>', path: () => `/fleet-bundle/${fleet()}` },
    { name: '/entry/N random', path: () => `/entry/${rand(size)}` },
    { name: '/checkpoint', path: () => '/checkpoint' },
    { name: '/ (explorer page)', path: () => '/' },
    { name: '/health', path: () => '/health' },
    { name: '/metrics', path: () => '/metrics' },
  ];
}
