/** One node of a JSON document: where it is, the key it hangs under (null for array items and the root), its value. */
export interface JsonNode {
  path: string;
  key: string | null;
  value: unknown;
}

/** Every node of a parsed JSON value, depth first, the root included. */
export function* walkJson(value: unknown, path = '', key: string | null = null): Generator<JsonNode> {
  yield { path: path === '' ? '/' : path, key, value };
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) yield* walkJson(item, `${path}/${index}`, null);
  } else if (typeof value === 'object' && value !== null) {
    for (const [name, item] of Object.entries(value)) yield* walkJson(item, `${path}/${name}`, name);
  }
}
