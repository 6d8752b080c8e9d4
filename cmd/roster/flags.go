package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// errHelp means --help was asked for and printed.
var errHelp = errors.New("help printed")

// newFlags returns a flag set that prints its usage on --help and reports
// errors instead of exiting.
func newFlags(e env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: roster %s\n\n%s\n\nFlags:\n", name, synopsis)
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse parses args, turning --help into errHelp and bad flags into a
// usage error of one line.
func parse(fs *flag.FlagSet, args []string) error {
	usage := fs.Usage
	fs.Usage = func() {} // the flag package prints it on every error; only --help should
	err := fs.Parse(args)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage()
		return errHelp
	case err != nil:
		return usagef("%s: %v (see roster %s --help)", fs.Name(), firstLine(err.Error()), fs.Name())
	case fs.NArg() > 0:
		return usagef("%s: unexpected argument %q (see roster %s --help)", fs.Name(), fs.Arg(0), fs.Name())
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
