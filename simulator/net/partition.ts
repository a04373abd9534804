/**
 * A partition of a fleet by region: HSMs talk only within their group of regions, and the regions
 * no group names form one more group together. One rule for every way a fleet runs.
 */
export type RegionGroups = readonly (readonly string[])[];

export function regionGroup(groups: RegionGroups, region: string): number {
  const i = groups.findIndex((g) => g.includes(region));
  return i < 0 ? groups.length : i;
}

/** The ids of the HSMs in `fleet` on the other side of the partition from an HSM in `region`. */
export function acrossPartition(
  groups: RegionGroups,
  region: string,
  fleet: readonly { readonly id: string; readonly region: string }[],
): string[] {
  const own = regionGroup(groups, region);
  return fleet.filter((h) => regionGroup(groups, h.region) !== own).map((h) => h.id);
}
