import type { ClientRequest } from "node:http";
import { afterAll, beforeAll } from "vitest";
import { giveTurnBack, takeTurn } from "../fixtures/turn.ts";

/**
 * Every app test file waits for its turn at the shared backend before its first hook and gives it
 * back after its last (hooks run as a stack: this file's beforeAll first, its afterAll last).
 * The wait is as long as the other app files ahead of it take, hence no short timeout.
 */
const TURN_WAIT_MS = 30 * 60_000;

let turn: ClientRequest | undefined;

// The hook is given the file as its second argument (the first must be a destructuring pattern).
// eslint-disable-next-line no-empty-pattern
beforeAll(async ({}, suite) => {
  turn = await takeTurn("filepath" in suite ? suite.filepath : suite.name);
}, TURN_WAIT_MS);

afterAll(() => {
  giveTurnBack(turn);
});
