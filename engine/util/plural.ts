/**
 * A count with its noun in the right number, for messages people read (English): plural(1, "row")
 * is "1 row", plural(3, "row") is "3 rows", plural(2, "entry", "entries") is "2 entries". `n` is
 * shown as given (a negative or fractional count takes the plural unless it is 1 or -1).
 */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${Math.abs(n) === 1 ? one : many}`;
}

/**
 * Items as a list people read (English): listWords(["a", "b", "c"]) is "a, b and c",
 * listWords(["a", "b"], "or") is "a or b"; one item alone, "" for none.
 */
export function listWords(items: readonly string[], last: "and" | "or" = "and"): string {
  return items.length < 2 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} ${last} ${items.at(-1)!}`;
}
