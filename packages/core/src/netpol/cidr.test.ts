import { describe, expect, it } from "vitest";
import { cidrAround, cidrContains, cidrStrictlyWithin, formatIp, parseCidr, parseIp } from "./cidr.js";

function contains(cidr: string, ip: string): boolean {
  const network = parseCidr(cidr);
  const address = parseIp(ip);
  if (!network || !address) throw new Error(`bad input ${cidr} ${ip}`);
  return cidrContains(network, address);
}

describe("parseIp", () => {
  const cases: { text: string; ok: boolean }[] = [
    { text: "10.0.0.1", ok: true },
    // Kubernetes' sloppy IPv4 reading: leading zeros are decimal
    { text: "010.000.000.001", ok: true },
    { text: "256.0.0.1", ok: false },
    { text: "10.0.0", ok: false },
    { text: "10.0.0.1.2", ok: false },
    { text: "::", ok: true },
    { text: "2001:db8::1", ok: true },
    { text: "1:2:3:4:5:6:7:8", ok: true },
    { text: "1:2:3:4:5:6:7", ok: false },
    { text: "1::2::3", ok: false },
    { text: "::ffff:10.0.0.1", ok: true },
    { text: "fe80::1%eth0", ok: false },
    { text: "", ok: false },
  ];
  it.each(cases)("$text", ({ text, ok }) => {
    expect(parseIp(text) !== undefined).toBe(ok);
  });

  it("reads IPv4-mapped IPv6 as the IPv4 address", () => {
    expect(parseIp("::ffff:10.0.0.1")).toEqual(parseIp("10.0.0.1"));
  });
});

describe("parseCidr and cidrContains", () => {
  const cases: { name: string; cidr: string; ip: string; want: boolean }[] = [
    { name: "inside /24", cidr: "10.1.2.0/24", ip: "10.1.2.200", want: true },
    { name: "outside /24", cidr: "10.1.2.0/24", ip: "10.1.3.1", want: false },
    // host bits in the cidr are masked off, as Kubernetes' ParseCIDRSloppy does
    { name: "host bits masked", cidr: "10.1.2.3/8", ip: "10.200.0.1", want: true },
    { name: "/32 is one address", cidr: "10.0.0.5/32", ip: "10.0.0.5", want: true },
    { name: "/32 not the next", cidr: "10.0.0.5/32", ip: "10.0.0.6", want: false },
    { name: "/0 is everything (v4)", cidr: "0.0.0.0/0", ip: "203.0.113.9", want: true },
    { name: "/0 is everything (v6)", cidr: "::/0", ip: "2001:db8::9", want: true },
    // families never mix: ::/0 does not hold IPv4 addresses
    { name: "v6 cidr, v4 ip", cidr: "::/0", ip: "10.0.0.1", want: false },
    { name: "v4 cidr, v6 ip", cidr: "0.0.0.0/0", ip: "2001:db8::1", want: false },
    { name: "v6 /64", cidr: "2001:db8:0:1::/64", ip: "2001:db8:0:1:ffff::1", want: true },
    { name: "v6 outside /64", cidr: "2001:db8:0:1::/64", ip: "2001:db8:0:2::1", want: false },
  ];
  it.each(cases)("$name", ({ cidr, ip, want }) => {
    expect(contains(cidr, ip)).toBe(want);
  });

  it.each(["10.0.0.0", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "::/129", "x/8", "10.0.0.0/8/8"])("rejects %s", (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});

describe("cidrStrictlyWithin", () => {
  const cases: { inner: string; outer: string; want: boolean }[] = [
    { inner: "10.1.0.0/16", outer: "10.0.0.0/8", want: true },
    // equal is not a strict subset
    { inner: "10.0.0.0/8", outer: "10.0.0.0/8", want: false },
    // wider is not a subset
    { inner: "10.0.0.0/7", outer: "10.0.0.0/8", want: false },
    { inner: "11.0.0.0/16", outer: "10.0.0.0/8", want: false },
    { inner: "2001:db8::/48", outer: "2001:db8::/32", want: true },
    { inner: "10.0.0.0/16", outer: "::/0", want: false },
  ];
  it.each(cases)("$inner within $outer", ({ inner, outer, want }) => {
    expect(cidrStrictlyWithin(parseCidr(inner)!, parseCidr(outer)!)).toBe(want);
  });
});

describe("cidrAround and formatIp", () => {
  it("gives the network of an address", () => {
    expect(cidrAround("10.244.1.7", 4)).toBe("0.0.0.0/4");
    expect(cidrAround("10.244.1.7", 16)).toBe("10.244.0.0/16");
    expect(cidrAround("2001:db8::7", 64)).toBe("2001:db8:0:0:0:0:0:0/64");
  });
  it("prints what it parses", () => {
    expect(formatIp(parseIp("192.168.0.1")!)).toBe("192.168.0.1");
    expect(parseIp(formatIp(parseIp("2001:db8::1")!))).toEqual(parseIp("2001:db8::1"));
  });
});
