const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** A stderr progress indicator; a no-op when stderr is not a terminal, so logs and pipes stay clean. */
export interface Spinner {
  update(text: string): void;
  stop(): void;
}

/** Starts a spinner with the given text on the given stream (stderr by default). */
export function startSpinner(text: string, stream: NodeJS.WriteStream = process.stderr): Spinner {
  if (!stream.isTTY) return { update() {}, stop() {} };
  let frame = 0;
  let current = text;
  const draw = () => {
    stream.write(`\r\x1b[K${FRAMES[frame % FRAMES.length]} ${current}`);
    frame++;
  };
  draw();
  const timer = setInterval(draw, 80);
  // The spinner must never be the reason the process stays alive.
  timer.unref();
  return {
    update(next: string) {
      current = next;
    },
    stop() {
      clearInterval(timer);
      stream.write("\r\x1b[K");
    },
  };
}
