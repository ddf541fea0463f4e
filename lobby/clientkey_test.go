package lobby

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientKey(t *testing.T) {
	proxies := clients{trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}}
	none := clients{}
	tests := []struct {
		name   string
		c      *clients
		remote string
		xff    []string // X-Forwarded-For lines
		want   clientKey
	}{
		{"IPv4", &none, "198.51.100.7:4000", nil, "198.51.100.7"},
		{"IPv4-mapped IPv6", &none, "[::ffff:198.51.100.7]:4000", nil, "198.51.100.7"},
		{"IPv6 by /64", &none, "[2001:db8:1:2:3:4:5:6]:4000", nil, "2001:db8:1:2::/64"},
		{"IPv6 with a zone", &none, "[fe80::1%eth0]:4000", nil, "fe80::/64"},
		{"loopback", &none, "127.0.0.1:4000", nil, loopbackClient},
		{"another loopback address", &none, "127.0.0.2:4000", nil, loopbackClient},
		{"IPv6 loopback", &none, "[::1]:4000", nil, loopbackClient},
		{"not an IP peer", &none, "@", nil, "peer @"},
		{"forged X-Forwarded-For, no proxies", &none, "198.51.100.7:4000", []string{"203.0.113.9"}, "198.51.100.7"},
		{"forged X-Forwarded-For, untrusted peer", &proxies, "198.51.100.7:4000", []string{"203.0.113.9"}, "198.51.100.7"},
		{"trusted proxy", &proxies, "10.1.2.3:4000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"trusted proxy, no header", &proxies, "10.1.2.3:4000", nil, "10.1.2.3"},
		{"two trusted proxies", &proxies, "10.1.2.3:4000", []string{"203.0.113.9, 10.9.9.9"}, "203.0.113.9"},
		{"client's own prefix is not believed", &proxies, "10.1.2.3:4000", []string{"192.0.2.66, 203.0.113.9"}, "203.0.113.9"},
		{"several header lines", &proxies, "10.1.2.3:4000", []string{"192.0.2.66", "203.0.113.9", "10.9.9.9"}, "203.0.113.9"},
		{"hop with a port", &proxies, "10.1.2.3:4000", []string{"[2001:db8:5::1]:555"}, "2001:db8:5::/64"},
		{"IPv6 proxy", &proxies, "[2001:db8:ffff:1::1]:4000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"garbled hop", &proxies, "10.1.2.3:4000", []string{"203.0.113.9, junk, 10.9.9.9"}, "10.9.9.9"},
		{"only proxies", &proxies, "10.1.2.3:4000", []string{"10.7.7.7"}, "10.7.7.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := tt.c.key(r); got != tt.want {
				t.Fatalf("key %q, want %q", got, tt.want)
			}
		})
	}
}
