package config

import (
	"flag"
	"io"
	"testing"
)

func TestPrecedence(t *testing.T) {
	env := map[string]string{"ROSTER_ADDR": "127.0.0.1:9000", "ROSTER_DB": "env.db"}
	c := Default()
	c.FromEnv(func(k string) string { return env[k] })
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.Register(fs)
	if err := fs.Parse([]string{"--db", "flag.db"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9000" {
		t.Errorf("Addr = %q, want the environment's 127.0.0.1:9000", c.Addr)
	}
	if c.DB != "flag.db" {
		t.Errorf("DB = %q, want the flag's flag.db", c.DB)
	}
	if c.BaseURL != "http://127.0.0.1:9000" {
		t.Errorf("BaseURL = %q, want it derived from the address", c.BaseURL)
	}
}

func TestValidateRefuses(t *testing.T) {
	for name, mod := range map[string]func(*Config){
		"addr":      func(c *Config) { c.Addr = "nonsense" },
		"db":        func(c *Config) { c.DB = " " },
		"base-url":  func(c *Config) { c.BaseURL = "ftp://x" },
		"smtp-url":  func(c *Config) { c.SMTPURL = "http://mail" },
		"log-level": func(c *Config) { c.LogLevel = "loud" },
	} {
		c := Default()
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate() = nil, want an error", name)
		}
	}
}
