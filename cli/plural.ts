/** `count(1, 'key set')` is "1 key set", `count(2, 'key set')` is "2 key sets"; irregular plurals are passed in. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
