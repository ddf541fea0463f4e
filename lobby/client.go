package lobby

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"
)

// clientKey names the client a request comes from. Every per-client limit
// (WebSockets, rooms, reservations, event streams) counts by it, so one
// client cannot dodge a limit by changing address within what it controls:
//
//   - an IPv4 address is one client;
//   - an IPv6 address counts by its /64, the prefix one subscriber is given
//     (RFC 6177), so the 2^64 addresses of a home network are one client;
//   - every loopback address (127.0.0.0/8 and ::1) is one client: the host
//     itself.
//
// Behind a reverse proxy the peer is the proxy; with the proxy listed in
// APIOptions.TrustedProxies the client is taken from X-Forwarded-For.
type clientKey string

const loopbackClient clientKey = "loopback"

// keyOf is the client key of an address.
func keyOf(a netip.Addr) clientKey {
	a = a.Unmap().WithZone("")
	switch {
	case a.IsLoopback():
		return loopbackClient
	case a.Is6():
		p, _ := a.Prefix(64)
		return clientKey(p.String())
	}
	return clientKey(a.String())
}

// ClientOf names the client at addr as every per-client limit counts it:
// the node's listener caps connections per client by it, so its count
// agrees with the API's.
func ClientOf(addr netip.Addr) string { return string(keyOf(addr)) }

// clients tells who a request comes from, believing forwarding headers only
// from trusted proxies.
type clients struct {
	trusted []netip.Prefix // static
}

// trusts reports whether a is one of the trusted proxies.
func (c *clients) trusts(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	return slices.ContainsFunc(c.trusted, func(p netip.Prefix) bool { return p.Contains(a) })
}

// peer is the address that connected to us.
func peer(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr(), true
}

// viaProxy reports whether r came through a trusted proxy, whose
// X-Forwarded-* headers may then be believed.
func (c *clients) viaProxy(r *http.Request) bool {
	p, ok := peer(r)
	return ok && len(c.trusted) > 0 && c.trusts(p)
}

// key is the client key of r: its peer's, or, when the peer is a trusted
// proxy, that of the nearest address in X-Forwarded-For that is not one.
// Each proxy appends the address it got the request from, so the list is
// walked from the right, and only as far as trusted proxies vouch for it:
// anything to the left of the first untrusted hop is the client's own say.
func (c *clients) key(r *http.Request) clientKey {
	addr, ok := peer(r)
	if !ok {
		// Not an IP peer (a Unix socket, a test's fake address): all
		// such requests are one client.
		return clientKey("peer " + r.RemoteAddr)
	}
	if len(c.trusted) == 0 || !c.trusts(addr) {
		return keyOf(addr)
	}
	hops := forwardedFor(r.Header)
	for i := len(hops) - 1; i >= 0 && c.trusts(addr); i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			// A garbled entry: the proxies vouch for nothing beyond
			// it, so the last of them stands for the client.
			break
		}
		addr = a
	}
	return keyOf(addr)
}

// forwardedFor is every X-Forwarded-For entry, left to right, across all
// the header's lines.
func forwardedFor(h http.Header) []string {
	var hops []string
	for _, line := range h.Values("X-Forwarded-For") {
		for hop := range strings.SplitSeq(line, ",") {
			hops = append(hops, strings.TrimSpace(hop))
		}
	}
	return hops
}

// parseHop reads one X-Forwarded-For entry: an address, with or without a
// port ("192.0.2.1:4711", "[2001:db8::1]:4711").
func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a, true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr(), true
	}
	return netip.Addr{}, false
}

// forwarded is the first value of a forwarding header (X-Forwarded-Proto,
// X-Forwarded-Host) when r came through a trusted proxy, else "". The first
// is the one the proxy nearest the client set.
func (c *clients) forwarded(r *http.Request, name string) string {
	if !c.viaProxy(r) {
		return ""
	}
	v, _, _ := strings.Cut(r.Header.Get(name), ",")
	return strings.TrimSpace(v)
}
