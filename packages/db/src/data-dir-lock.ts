import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";

/** Thrown when another live process holds the embedded database's folder. */
export class DataDirLockedError extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the embedded database's folder for this process: PGlite has no lock of its own, and two
 * processes writing one folder corrupt it. A lock left by a dead process is taken over.
 */
export function lockDataDir(dir: string): () => void {
  // Beside the folder, not in it: PGlite's initdb wants an empty folder.
  const file = `${dir.replace(/\/+$/, "")}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number(readFileSync(file, "utf8").trim());
      if (pid > 0 && pid !== process.pid && alive(pid)) {
        throw new DataDirLockedError(
          `the embedded database in ${dir} is in use by another process (pid ${pid}, e.g. another "kube9 up"); ` +
            "stop it, or use another KUBE9_HOME",
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new DataDirLockedError(`could not lock the embedded database in ${dir}`);
}
