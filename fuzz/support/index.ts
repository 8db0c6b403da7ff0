/**
 * Fuzz support shared by the fuzz tests of every workspace, imported by relative path from test files
 * only, so no production module depends on it (nor on fast-check).
 */
export { FuzzSlowInputError, fuzzTarget, orRefusal, type FuzzTarget, type PropertyReport } from "./budget.ts";
export { CORPUS_ROOT, CorpusFormatError, decodeHexFile, loadCorpus, loadRegressions, type CorpusEntry } from "./corpus.ts";
export { applyMutation, cuts, mutated, mutatedText, mutation, split, type Mutation, type MutationOptions } from "./mutate.ts";
export { SIP_HEADER_EDITS, SIP_TOKENS } from "./tokens.ts";
