import type { FactorMethod } from "../../mfa/status.js";
import type { FormSectionView } from "../../schema/field-nodes.js";
import { listWords } from "../../util/plural.js";

const METHOD_WORDS: Record<FactorMethod, string> = {
  passkey: "a passkey",
  app: "an authenticator app",
  hardware: "a hardware token",
};

/** "The site's MFA policy allows a passkey, an authenticator app or a hardware token." */
function allowedMethodsSentence(methods: readonly FactorMethod[]): string {
  return `The site's MFA policy allows ${listWords(
    methods.map((m) => METHOD_WORDS[m]),
    "or",
  )}.`;
}

/** Copies per sections array (one per app version) and method list: the form's frame cache keys on the array. */
const copies = new WeakMap<FormSectionView[], Map<string, FormSectionView[]>>();

/**
 * A users app's sections with the ways to set MFA up that the site's policy allows (allowedMethods,
 * Configure > MFA > Policy) named after the description of the section that holds the MFA slider
 * (`enabledField`, the field bound to mfa.enabled): the description is the app's, the methods are
 * the site's. The same array for the same sections and methods, so engine/render/record-form.tsx
 * keeps reusing the form's frame.
 */
export function withAllowedMethods(
  sections: FormSectionView[],
  enabledField: string,
  methods: readonly FactorMethod[],
): FormSectionView[] {
  const key = methods.join();
  let byMethods = copies.get(sections);
  if (!byMethods) copies.set(sections, (byMethods = new Map<string, FormSectionView[]>()));
  let out = byMethods.get(key);
  if (!out) {
    const sentence = allowedMethodsSentence(methods);
    out = sections.map((s) =>
      s.fields.some((f) => f.name === enabledField)
        ? { ...s, description: s.description ? `${s.description} ${sentence}` : sentence }
        : s,
    );
    byMethods.set(key, out);
  }
  return out;
}
