package main

import (
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/mwasm/mwasm/shim/hosted"
	"github.com/mwasm/mwasm/shim/hosted/tap"
)

// parseTap parses a tap,ifname=NAME[,ip=..][,gw=..][,mac=..] --net spec.
func parseTap(spec string) (netOpener, error) {
	opts, err := tap.ParseSpec(spec)
	if err != nil {
		return nil, usageErrorf("bad --net %q: %s", spec, strings.TrimPrefix(err.Error(), "tap: "))
	}
	return func(log hclog.Logger) (*hosted.NetConfig, error) {
		dev, err := tap.OpenOptions(opts, log.Named("tap"))
		if err != nil {
			return nil, usageErrorf("cannot open --net %s: %s", spec, strings.TrimPrefix(err.Error(), "tap: "))
		}
		nc := &hosted.NetConfig{Device: dev}
		if opts.IPv4.IsValid() {
			nc.IPv4 = opts.IPv4.String()
		}
		if opts.Gateway.IsValid() {
			nc.Gateway = opts.Gateway.String()
		}
		return nc, nil
	}, nil
}
