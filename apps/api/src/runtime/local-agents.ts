import type { AgentExit } from "./runtime.js";

/**
 * What the runtimes whose agents live in or under this process (process, hollow) share: the agents
 * by node id, who hears of unexpected exits, and a shutdown after which nothing starts.
 */
export abstract class LocalAgents<A> {
  protected readonly agents = new Map<string, A>();
  private readonly listeners: Array<(exit: AgentExit) => void> = [];
  private closed = false;

  /** Stops one agent (graceful lets it say goodbye). */
  abstract stop(nodeId: string, graceful: boolean): Promise<void>;

  has(nodeId: string): boolean {
    return this.agents.has(nodeId);
  }

  onUnexpectedExit(listener: (exit: AgentExit) => void): void {
    this.listeners.push(listener);
  }

  /** Whether stopAll() lets agents say goodbye. */
  protected readonly stopGracefully: boolean = true;

  /** Stops every agent; nothing may start afterwards (a late start would outlive the API as an orphan). */
  async stopAll(_nodeIds?: readonly string[]): Promise<void> {
    this.closed = true;
    await Promise.all([...this.agents.keys()].map((id) => this.stop(id, this.stopGracefully)));
  }

  /** Nothing may start from now on. */
  protected close(): void {
    this.closed = true;
  }

  /** Throws once stopAll() has begun. */
  protected refuseAfterShutdown(what: string): void {
    if (this.closed) throw new Error(`the ${what} runtime is shutting down`);
  }

  /** The node's live agent, or an error saying it has none. */
  protected live(nodeId: string): A {
    const agent = this.agents.get(nodeId);
    if (!agent) throw new Error("the node has no running agent");
    return agent;
  }

  /** Tells the listeners an agent ended without being asked to. */
  protected exited(nodeId: string, description: string): void {
    for (const l of this.listeners) l({ nodeId, description });
  }
}
