import { useCallback, useEffect, useRef, useState } from "react";
import { errorMessage, type ProbeResultDTO } from "./api";
import { useLive } from "./live";

/** What one probe asks the API for. */
export interface ProbeRequest {
  namespaces: string[];
  port: number;
  /** Also the matrix the policies imply, and the cells where the dataplane disagrees with it. */
  expect: boolean;
}

/** A probe's answer with the request it answers (the form may have changed since) and when it came. */
export interface ProbeAnswer {
  request: ProbeRequest;
  result: ProbeResultDTO;
  at: number;
}

/** Each blocked connection costs up to this much; the kubelets run a pod's connections in parallel. */
export const PROBE_TIMEOUT_MS = 1000;
/** The pause between the end of one live probe and the start of the next. */
export const LIVE_INTERVAL_MS = 5000;

/**
 * Probes on demand and, while `live` is on and the page visible, again LIVE_INTERVAL_MS after each answer:
 * every probe makes real connections, so one runs at a time and the next waits for it.
 */
export function useProbe(request: ProbeRequest | null, live: boolean) {
  const { client } = useLive();
  const [answer, setAnswer] = useState<ProbeAnswer | null>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const inFlight = useRef<Promise<void> | null>(null);
  // The live loop reads the form as it is when each probe starts, not as it was when live was switched on.
  const latest = useRef(request);
  latest.current = request;

  const probeNow = useCallback((): Promise<void> => {
    const req = latest.current;
    if (inFlight.current) return inFlight.current;
    if (!req) return Promise.resolve();
    setBusy(true);
    const run = client.net.probe
      .mutate({ namespaces: req.namespaces, ports: [req.port], timeoutMs: PROBE_TIMEOUT_MS, expect: req.expect })
      .then(
        (result) => {
          setAnswer({ request: req, result, at: Date.now() });
          setError("");
        },
        (err: unknown) => setError(errorMessage(err)),
      )
      .finally(() => {
        inFlight.current = null;
        setBusy(false);
      });
    inFlight.current = run;
    return run;
  }, [client]);

  useEffect(() => {
    if (!live) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      if (!document.hidden) await probeNow();
      if (!stopped) timer = setTimeout(() => void tick(), LIVE_INTERVAL_MS);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [live, probeNow]);

  return { answer, error, busy, probeNow };
}
