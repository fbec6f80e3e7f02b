// Minimal typings for the parts of `pg` this package uses (no @types/pg in the workspace).
declare module "pg" {
  export interface ClientConfig {
    connectionString?: string;
    keepAlive?: boolean;
    connectionTimeoutMillis?: number;
    application_name?: string;
  }
  export interface QueryResult<R> {
    rows: R[];
    rowCount: number | null;
  }
  export class Client {
    constructor(config?: ClientConfig | string);
    connect(): Promise<void>;
    query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
    end(): Promise<void>;
    on(event: "error", listener: (err: Error) => void): this;
    on(event: "end", listener: () => void): this;
    on(event: "notification", listener: (msg: { channel: string; payload?: string }) => void): this;
  }
  const pg: { Client: typeof Client };
  export default pg;
}
