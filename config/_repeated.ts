// Copyright the @pyst/asterisk authors. MIT license.

/** Sets `key`, turning a repeated key into an array (`__proto__` safe). */
export function addRepeated<T>(
  target: Record<string, T | T[]>,
  key: string,
  value: T,
): void {
  if (Object.hasOwn(target, key)) {
    const existing = target[key]!;
    if (Array.isArray(existing)) existing.push(value);
    else target[key] = [existing as T, value];
    return;
  }
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
