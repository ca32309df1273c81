import { notImplemented } from "../errors.ts";

/** Bare `ccp`: onboarding on an empty pool, status otherwise. */
export async function runBare(): Promise<number> {
  throw notImplemented("(bare)");
}
