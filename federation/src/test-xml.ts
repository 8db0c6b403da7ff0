/** For tests: a minimal element with ltx's shape and its builder, so the codec is tested without an XML library. */
import type { XmlElementLike } from "./wire.ts";

export class El implements XmlElementLike {
  constructor(
    readonly name: string,
    readonly attrs: Record<string, string | undefined>,
    readonly children: (El | string)[] = [],
  ) {}

  getText(): string {
    return this.children.filter((c): c is string => typeof c === "string").join("");
  }
}

export const xml = (name: string, attrs: Record<string, string>, ...children: (El | string)[]) => new El(name, attrs, children);
