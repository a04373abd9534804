/**
 * The default latency matrix: average round-trip times between five AWS regions as published in
 * the table of "AWS Regions" (A Computer Scientist Learns AWS, April 2017,
 * https://acomputerscientistlearnsaws.blogspot.com/2017/04/aws-regions.html), which reproduces the
 * "Latency Between AWS Global Regions" measurements. Both directions are kept as published; the
 * model uses their mean. The figures are from 2017: today's backbone is somewhat faster on some
 * paths; load a newer matrix with `--latency FILE` (format: net/latency.ts).
 *
 * Two figures are NOT from that table and are labelled as assumptions in `note`:
 *   - sameRegionRttMs = 1: two hosts of one region in different availability zones (a fleet puts
 *     its HSMs of one region in separate zones); inter-AZ round trips of 0.25-3.37 ms are reported
 *     at https://www.xkyle.com/Measuring-AWS-Region-and-AZ-Latency/;
 *   - jitter = 0.05: a mean 5% extra delay per leg.
 * The region order is the order placements take regions in (1 region = the first, …): three
 * continents first, then a second region near one already used.
 */
import type { LatencyMatrix } from './latency.ts';

export const DEFAULT_LATENCY_MATRIX: LatencyMatrix = {
  source:
    'AWS inter-region average latency table in "AWS Regions", A Computer Scientist Learns AWS (blog), https://acomputerscientistlearnsaws.blogspot.com/2017/04/aws-regions.html, reproducing "Latency Between AWS Global Regions"',
  date: '2017-04',
  note: 'Inter-region figures are the published averages (both directions kept; the model uses their mean). Assumptions, not from the source: sameRegionRttMs = 1 ms (inter-AZ, cf. 0.25-3.37 ms at xkyle.com) and jitter = 5% mean extra delay per leg.',
  sameRegionRttMs: 1,
  jitter: 0.05,
  rttMs: {
    'us-east-1': { 'eu-west-1': 80.55, 'ap-northeast-1': 145.3, 'us-west-2': 86.98, 'eu-central-1': 88.66 },
    'eu-west-1': { 'us-east-1': 80.52, 'ap-northeast-1': 212.4, 'us-west-2': 137, 'eu-central-1': 19.56 },
    'ap-northeast-1': { 'us-east-1': 145.3, 'eu-west-1': 212.4, 'us-west-2': 89.16, 'eu-central-1': 236.6 },
    'us-west-2': { 'us-east-1': 88.68, 'eu-west-1': 137, 'ap-northeast-1': 89.1, 'eu-central-1': 159.5 },
    'eu-central-1': { 'us-east-1': 88.62, 'eu-west-1': 19.55, 'ap-northeast-1': 236.5, 'us-west-2': 159.5 },
  },
};

/** The regions in placement order. */
export const DEFAULT_STUDY_REGIONS: readonly string[] = [
  'us-east-1',
  'eu-west-1',
  'ap-northeast-1',
  'us-west-2',
  'eu-central-1',
];
