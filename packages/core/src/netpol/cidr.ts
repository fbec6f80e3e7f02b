// IP addresses and CIDRs for ipBlock peers, read as Kubernetes reads ipBlock.cidr (a "legacy" field: IPv4 octets
// may carry leading zeros, and host bits after the prefix are allowed and masked off, 10.0.0.1/8 = 10.0.0.0/8).
// Both families: an allow-all-egress policy usually lists 0.0.0.0/0 and ::/0 side by side.

/** An address as a number of 32 (IPv4) or 128 (IPv6) bits. */
export interface IpAddress {
  v6: boolean;
  value: bigint;
}

/** A network: the address with its host bits cleared, and the prefix length. */
export interface Cidr extends IpAddress {
  prefix: number;
}

const bitsOf = (v6: boolean): number => (v6 ? 128 : 32);

function parseIpv4(text: string): bigint | undefined {
  const octets = text.split(".");
  if (octets.length !== 4) return undefined;
  let value = 0n;
  for (const octet of octets) {
    if (!/^[0-9]{1,3}$/.test(octet) || Number(octet) > 255) return undefined;
    value = (value << 8n) | BigInt(Number(octet));
  }
  return value;
}

/** The 16-bit groups of one side of "::" (a trailing dotted IPv4 counts as two groups). */
function ipv6Groups(text: string, last: boolean): bigint[] | undefined {
  if (text === "") return [];
  const parts = text.split(":");
  const groups: bigint[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (last && i === parts.length - 1 && part.includes(".")) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push(v4 >> 16n, v4 & 0xffffn);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      groups.push(BigInt(`0x${part}`));
    } else {
      return undefined;
    }
  }
  return groups;
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = ipv6Groups(halves[0] as string, halves.length === 1);
  const tail = halves.length === 2 ? ipv6Groups(halves[1] as string, true) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<bigint>(halves.length === 2 ? missing : 0).fill(0n), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** Parses an IPv4 or IPv6 address; undefined when it is neither. IPv4-mapped IPv6 (::ffff:a.b.c.d) is IPv4. */
export function parseIp(text: string): IpAddress | undefined {
  if (!text.includes(":")) {
    const value = parseIpv4(text);
    return value === undefined ? undefined : { v6: false, value };
  }
  const value = parseIpv6(text);
  if (value === undefined) return undefined;
  if (value >> 32n === 0xffffn) return { v6: false, value: value & 0xffffffffn };
  return { v6: true, value };
}

function mask(v6: boolean, prefix: number): bigint {
  const bits = bitsOf(v6);
  return ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
}

/** Parses "address/prefix" into its network (host bits masked); undefined when it is not a CIDR. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const prefixText = text.slice(slash + 1);
  const addressText = text.slice(0, slash);
  if (!/^[0-9]{1,3}$/.test(prefixText)) return undefined;
  // The family is the one written: ::ffff:10.0.0.0/104 stays an IPv6 network.
  const v6 = addressText.includes(":");
  const value = v6 ? parseIpv6(addressText) : parseIpv4(addressText);
  const prefix = Number(prefixText);
  if (value === undefined || prefix > bitsOf(v6)) return undefined;
  return { v6, value: value & mask(v6, prefix), prefix };
}

/** Whether an address lies in a network (never across families). */
export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  return cidr.v6 === ip.v6 && (ip.value & mask(cidr.v6, cidr.prefix)) === cidr.value;
}

/** Whether `inner` is a strict subset of `outer`, the rule ipBlock.except must follow. */
export function cidrStrictlyWithin(inner: Cidr, outer: Cidr): boolean {
  return cidrContains(outer, inner) && inner.prefix > outer.prefix;
}

/** The network of `prefix` bits around an address, as text ("10.1.2.3", 8 -> "10.0.0.0/8"). */
export function cidrAround(ip: string, prefix: number): string {
  const address = parseIp(ip);
  if (!address) throw new Error(`not an IP address: ${ip}`);
  return `${formatIp({ v6: address.v6, value: address.value & mask(address.v6, prefix) })}/${prefix}`;
}

/** An address in its usual text form (IPv6 without "::" compression, which is still valid input everywhere). */
export function formatIp(ip: IpAddress): string {
  if (!ip.v6) return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 0xffn)).join(".");
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((ip.value >> s) & 0xffffn).toString(16));
  return groups.join(":");
}
