import { TRPCError } from "@trpc/server";
import { DomainError } from "../errors.js";
import { errorAnswer } from "../trpc.js";
import { TooManyWatchesError } from "../watch-hub.js";

/**
 * A subscription's items, with domain errors turned into API errors: a subscription runs after the
 * procedure's middleware has returned, so its errors would otherwise reach users as "internal error".
 */
export async function* answering<T>(items: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* items;
  } catch (err) {
    // Not 503: clients reconnect on their own after a retryable code, silently and without end.
    if (err instanceof TooManyWatchesError) throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: err.message, cause: err });
    if (err instanceof DomainError) throw new TRPCError({ ...errorAnswer(err), cause: err });
    throw err;
  }
}
