// Pod addresses of one node: IPv4 only, from the node's podCIDR. Handed out round-robin rather than
// lowest-free, so an address just released is not reused at once while other pods may still hold
// its old neighbour (ARP) entry pointing at the deleted veth.

/** An IPv4 network: the address as a 32-bit number and the prefix length. */
export interface Cidr {
  base: number;
  prefix: number;
}

/** Parses "a.b.c.d" into a 32-bit number, or undefined. */
export function parseIp(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** Formats a 32-bit number as "a.b.c.d". */
export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** Parses "10.244.3.0/24" (host bits are cleared), or undefined when it is not an IPv4 CIDR. */
export function parseCidr(text: string): Cidr | undefined {
  const [ip, bits, ...rest] = text.trim().split("/");
  const addr = ip === undefined ? undefined : parseIp(ip);
  if (addr === undefined || bits === undefined || rest.length > 0 || !/^\d{1,2}$/.test(bits)) return undefined;
  const prefix = Number(bits);
  if (prefix > 32) return undefined;
  return { base: maskOf(addr, prefix), prefix };
}

/** The address with everything after the first `prefix` bits cleared. */
export function maskOf(addr: number, prefix: number): number {
  if (prefix === 0) return 0;
  return (addr & (~0 << (32 - prefix))) >>> 0;
}

/** Hands out the addresses of a podCIDR: .2 up to the one before broadcast (.1 is left for a gateway). */
export class IpPool {
  private readonly first: number;
  private readonly last: number;
  private readonly owners = new Map<string, number>();
  private readonly used = new Set<number>();
  private cursor: number;

  constructor(readonly cidr: Cidr) {
    const size = 2 ** (32 - cidr.prefix);
    this.first = cidr.base + 2;
    this.last = cidr.base + size - 2;
    this.cursor = this.first;
  }

  /** How many addresses the pool has in all. */
  get capacity(): number {
    return Math.max(0, this.last - this.first + 1);
  }

  /** The owner's address (the same one again if it has one), or undefined when the pool is exhausted. */
  allocate(owner: string): string | undefined {
    const held = this.owners.get(owner);
    if (held !== undefined) return formatIp(held);
    for (let i = 0; i < this.capacity; i++) {
      const candidate = this.cursor;
      this.cursor = candidate >= this.last ? this.first : candidate + 1;
      if (this.used.has(candidate)) continue;
      this.used.add(candidate);
      this.owners.set(owner, candidate);
      return formatIp(candidate);
    }
    return undefined;
  }

  /** The owner's address, if it has one. */
  ipOf(owner: string): string | undefined {
    const held = this.owners.get(owner);
    return held === undefined ? undefined : formatIp(held);
  }

  /** Frees the owner's address, if it has one. */
  release(owner: string): void {
    const held = this.owners.get(owner);
    if (held === undefined) return;
    this.owners.delete(owner);
    this.used.delete(held);
  }

  /** The owners that hold an address now. */
  holders(): string[] {
    return [...this.owners.keys()];
  }
}
