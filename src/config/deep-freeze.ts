/** Recursive Object.freeze, so a loaded Config cannot be changed by anyone holding it (reload builds a new one). */

/** Freezes value and every object and array reachable from it; returns the same value. */
export function deepFreeze<T>(value: T): T {
  // An already frozen object is taken as deep-frozen: every object here was built by deepFreeze itself.
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
