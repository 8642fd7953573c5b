/** Adds `value` to the set of `key` in `index` (a map of sets), making the set if it is the key's first. */
export function addTo<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(value);
}

/** Removes `value` from the set of `key` in `index`, dropping the key once its set is empty. */
export function removeFrom<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  const set = index.get(key);
  if (set?.delete(value) && set.size === 0) index.delete(key);
}
