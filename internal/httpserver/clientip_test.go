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
