module github.com/polysse/sse/internal/bench

go 1.25.0

require (
	github.com/launchdarkly/eventsource v1.11.0
	github.com/polysse/sse v0.0.0
	github.com/r3labs/sse/v2 v2.10.0
	github.com/tmaxmax/go-sse v0.11.0
	gopkg.in/cenkalti/backoff.v1 v1.1.0
)

require (
	github.com/google/uuid v1.6.0 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
	golang.org/x/net v0.0.0-20191116160921-f9c825593386 // indirect
)

replace github.com/polysse/sse => ../..
