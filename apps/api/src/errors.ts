import { TRPCError } from "@trpc/server";

/** A NOT_FOUND error naming the kind and the name that was asked for. */
export function notFound(kind: "node" | "pod", name: string): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `${kind} "${name}" not found` });
}

/** A CONFLICT error for a name that is taken. */
export function conflict(kind: "node" | "pod", name: string): TRPCError {
  return new TRPCError({ code: "CONFLICT", message: `${kind} name "${name}" already exists; choose another --name` });
}

/** A PRECONDITION_FAILED error: the request is valid but the object is in the wrong state. */
export function precondition(message: string): TRPCError {
  return new TRPCError({ code: "PRECONDITION_FAILED", message });
}
