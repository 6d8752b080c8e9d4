package httpserver

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	lb := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct {
		name    string
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"no proxies configured: the header is ignored", "203.0.113.9:4000", []string{"1.2.3.4"}, nil, "203.0.113.9"},
		{"an untrusted peer cannot choose its address", "203.0.113.9:4000", []string{"1.2.3.4"}, lb, "203.0.113.9"},
		{"behind the balancer", "10.1.2.3:4000", []string{"198.51.100.7"}, lb, "198.51.100.7"},
		{"a client's forged hop is not believed", "10.1.2.3:4000", []string{"6.6.6.6, 198.51.100.7"}, lb, "198.51.100.7"},
		{"two trusted hops", "10.1.2.3:4000", []string{"198.51.100.7, 10.9.9.9"}, lb, "198.51.100.7"},
		{"several header lines", "10.1.2.3:4000", []string{"6.6.6.6", "198.51.100.7"}, lb, "198.51.100.7"},
		{"no header", "10.1.2.3:4000", nil, lb, "10.1.2.3"},
		{"a malformed hop stops the walk", "10.1.2.3:4000", []string{"198.51.100.7, garbage"}, lb, "10.1.2.3"},
		{"IPv6", "[2001:db8::1]:4000", nil, lb, "2001:db8::1"},
		{"a hop with its port", "10.1.2.3:4000", []string{"198.51.100.7:51234, 10.9.9.9:80"}, lb, "198.51.100.7"},
		{"an IPv6 hop with its port", "10.1.2.3:4000", []string{"[2001:db8::7]:51234"}, lb, "2001:db8::7"},
		{"IPv4 written as IPv6", "[::ffff:203.0.113.9]:4000", nil, nil, "203.0.113.9"},
		{"a trusted proxy written as IPv6", "[::ffff:10.1.2.3]:4000", []string{"198.51.100.7"}, lb, "198.51.100.7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientAddr(r, tc.trusted); got != tc.want {
				t.Errorf("clientAddr = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLimitAddr(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.9":           "203.0.113.9",
		"2001:db8:1:2::1":       "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::9":  "2001:db8:1:2::/64",
		"2001:db8:1:3::1":       "2001:db8:1:3::/64",
		"::ffff:203.0.113.9":    "203.0.113.9",
		"fe80::1%eth0":          "fe80::/64",
		"not an address at all": "not an address at all",
	} {
		if got := limitAddr(in); got != want {
			t.Errorf("limitAddr(%q) = %q, want %q", in, got, want)
		}
	}
}
