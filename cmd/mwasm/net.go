package main

import (
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/mwasm/mwasm/shim/hosted"
	"github.com/mwasm/mwasm/shim/hosted/usernet"
)

// netOpener opens the network device a --net spec describes. parseNet checks the
// spec up front (before a possibly long build); the device, with its host ports,
// is opened only just before the run.
type netOpener func(log hclog.Logger) (*hosted.NetConfig, error)

// parseNet parses --net. An empty spec means no network device.
func parseNet(spec string) (netOpener, error) {
	if spec == "" {
		return nil, nil
	}
	kind, _, _ := strings.Cut(spec, ",")
	switch kind {
	case "user":
		opts, err := usernet.ParseSpec(spec)
		if err != nil {
			return nil, usageErrorf("bad --net %q: %s", spec, strings.TrimPrefix(err.Error(), "usernet: "))
		}
		return func(log hclog.Logger) (*hosted.NetConfig, error) {
			dev, err := usernet.New(opts, log.Named("usernet"))
			if err != nil {
				return nil, usageErrorf("cannot open --net %s: %s", spec, strings.TrimPrefix(err.Error(), "usernet: "))
			}
			for _, f := range dev.Forwards() {
				log.Info("hostfwd", "forward", f.String())
			}
			return &hosted.NetConfig{
				Device:  dev,
				IPv4:    usernet.GuestPrefix.String(),
				Gateway: usernet.GatewayIP.String(),
			}, nil
		}, nil
	case "tap":
		return parseTap(spec)
	}
	return nil, usageErrorf("bad --net %q: unknown network type %q: use user[,hostfwd=tcp:[HOSTADDR]:PORT-:PORT]... or tap,ifname=NAME", spec, kind)
}
