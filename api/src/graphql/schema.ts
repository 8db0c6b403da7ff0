/** The executable schema (SDL in schema.graphql is the source of truth) and the validation limits. */
import { readFileSync } from "node:fs";
import { makeExecutableSchema } from "@graphql-tools/schema";
import { specifiedRules, type GraphQLSchema, type ValidationRule } from "graphql";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { costLimitRule } from "@escape.tech/graphql-armor-cost-limit";
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { resolvers } from "./resolvers.ts";

export const typeDefs = readFileSync(new URL("./schema.graphql", import.meta.url), "utf8");

export function buildSchema(): GraphQLSchema {
  return makeExecutableSchema({ typeDefs, resolvers });
}

/** Depth, cost and alias limits, applied to HTTP and WebSocket operations alike. */
export function limitRules(opts: { maxDepth: number; maxCost: number }): ValidationRule[] {
  return [
    maxDepthRule({ n: opts.maxDepth, exposeLimits: true }),
    costLimitRule({ maxCost: opts.maxCost, exposeLimits: true }),
    maxAliasesRule({ n: 30, exposeLimits: true }),
  ] as unknown as ValidationRule[];
}

export function allRules(opts: { maxDepth: number; maxCost: number }): ValidationRule[] {
  return [...specifiedRules, ...limitRules(opts)];
}
