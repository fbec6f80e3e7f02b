import { useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import type { WatchMessage } from "@kube9/client";
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { isAutoscalerEvent } from "./autoscaler-events";
import { isAuthError, type EventDTO, type Kube9Client, type NodeDTO, type PodDTO } from "./api";

interface Live {
  client: Kube9Client;
  connected: boolean;
  logout(): void;
}

const LiveContext = createContext<Live | null>(null);
const EVENTS_KEPT = 1000;

function apply<T extends { id: string }>(old: T[] | undefined, m: WatchMessage<T>, gone: (t: T) => boolean): T[] {
  if (m.type === "snapshot") return m.items.filter((i) => !gone(i));
  const list = old ?? [];
  const i = list.findIndex((x) => x.id === m.item.id);
  if (gone(m.item)) return i < 0 ? list : list.filter((x) => x.id !== m.item.id);
  if (i < 0) return [...list, m.item];
  const next = list.slice();
  next[i] = m.item;
  return next;
}

/** Keeps nodes, pods and events in the query cache, fed by the API's watches (SSE). */
export function LiveProvider({ client, logout, children }: { client: Kube9Client; logout(): void; children: ReactNode }) {
  const qc = useQueryClient();
  const [connected, setConnected] = useState(false);

  useEffect(() => {
    const onError = (err: unknown) => {
      setConnected(false);
      if (isAuthError(err)) logout();
    };
    const opts = {
      onStarted: () => setConnected(true),
      onError,
      onConnectionStateChange: (s: { state: string }) => setConnected(s.state === "pending"),
    };
    const nodes = client.nodes.watch.subscribe(undefined, {
      ...opts,
      onData: ({ data }) => qc.setQueryData<NodeDTO[]>(["nodes"], (old) => apply(old, data, (n) => n.status === "Removed")),
    });
    const pods = client.pods.watch.subscribe(undefined, {
      ...opts,
      onData: ({ data }) => qc.setQueryData<PodDTO[]>(["pods"], (old) => apply(old, data, (p) => p.status === "Terminating")),
    });
    let events: { unsubscribe(): void } | undefined;
    let cancelled = false;
    void client.events.list
      .query({ limit: 300 })
      .then((first) => {
        if (cancelled) return;
        qc.setQueryData<EventDTO[]>(["events"], first);
        events = client.events.watch.subscribe(
          { lastEventId: String(first.at(-1)?.id ?? 0) },
          {
            ...opts,
            onData: ({ data }) => {
              qc.setQueryData<EventDTO[]>(["events"], (old = []) =>
                old.some((e) => e.id === data.id) ? old : [...old, data].slice(-EVENTS_KEPT),
              );
              if (data.objectKind === "Cluster") {
                void qc.invalidateQueries({ queryKey: ["status"] });
                void qc.invalidateQueries({ queryKey: ["alert-rules"] });
              }
              // The banner learns of a firing or resolved alert with the event, not at its next poll.
              if (data.reason === "AlertFiring" || data.reason === "AlertResolved") void qc.invalidateQueries({ queryKey: ["alerts"] });
              // The Autoscaling page moves with the decision's event, not at its next poll.
              if (isAutoscalerEvent(data)) void qc.invalidateQueries({ queryKey: ["autoscaler"] });
              if (data.objectKind === "Pod") void qc.invalidateQueries({ queryKey: ["pod", data.objectName] });
              if (data.objectKind === "Namespace" || data.objectKind === "NetworkPolicy") {
                void qc.invalidateQueries({ queryKey: ["namespaces"] });
                void qc.invalidateQueries({ queryKey: ["network-policies"] });
              }
            },
          },
        );
      })
      .catch(onError);
    return () => {
      cancelled = true;
      nodes.unsubscribe();
      pods.unsubscribe();
      events?.unsubscribe();
    };
  }, [client, qc, logout]);

  return <LiveContext.Provider value={{ client, connected, logout }}>{children}</LiveContext.Provider>;
}

export function useLive(): Live {
  const v = useContext(LiveContext);
  if (!v) throw new Error("useLive outside LiveProvider");
  return v;
}

function useLiveList<T>(key: string, load: (c: Kube9Client) => Promise<T[]>): T[] {
  const { client } = useLive();
  const q = useQuery({ queryKey: [key], queryFn: () => load(client), staleTime: Infinity });
  return q.data ?? [];
}

export const useNodes = () => useLiveList<NodeDTO>("nodes", (c) => c.nodes.list.query());
export const usePods = () => useLiveList<PodDTO>("pods", (c) => c.pods.list.query());
export const useEvents = () => useLiveList<EventDTO>("events", (c) => c.events.list.query({ limit: 300 }));

export function useClusterStatus() {
  const { client } = useLive();
  return useQuery({ queryKey: ["status"], queryFn: () => client.cluster.status.query() });
}

/** The current time, re-rendering every `ms` (for ages that keep counting). */
export function useNow(ms = 500): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

export type { QueryClient };
