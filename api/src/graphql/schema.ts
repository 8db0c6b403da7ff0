/** The executable schema (SDL in schema.graphql is the source of truth) and the validation limits. */
import { readFileSync } from "node:fs";
import { makeExecutableSchema } from "@graphql-tools/schema";
import { specifiedRules, type GraphQLError, type GraphQLSchema, type ValidationContext, type ValidationRule } from "graphql";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { costLimitRule } from "@escape.tech/graphql-armor-cost-limit";
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { resolvers } from "./resolvers.ts";

export const typeDefs = readFileSync(new URL("./schema.graphql", import.meta.url), "utf8");

export function buildSchema(): GraphQLSchema {
  return makeExecutableSchema({ typeDefs, resolvers });
}

/**
 * A rejection is reported as a validation error (HTTP 400 GRAPHQL_VALIDATION_FAILED; over WebSocket an error
 * for that subscription). The rules' default is to throw out of validate(), which Apollo answers as a 500
 * "internal error" and graphql-ws by closing the whole socket (4500).
 */
const reportRejection = {
  propagateOnRejection: false,
  onReject: [(ctx: ValidationContext | null, err: GraphQLError) => ctx?.reportError(err)],
};

/** Depth, cost and alias limits, applied to HTTP and WebSocket operations alike. */
export function limitRules(opts: { maxDepth: number; maxCost: number }): ValidationRule[] {
  return [
    maxDepthRule({ n: opts.maxDepth, exposeLimits: true, ...reportRejection }),
    costLimitRule({ maxCost: opts.maxCost, exposeLimits: true, ...reportRejection }),
    maxAliasesRule({ n: 30, exposeLimits: true, ...reportRejection }),
  ] as unknown as ValidationRule[];
}

export function allRules(opts: { maxDepth: number; maxCost: number }): ValidationRule[] {
  return [...specifiedRules, ...limitRules(opts)];
}
