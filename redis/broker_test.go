package redis_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/polysse/sse/internal/brokertest"
	"github.com/polysse/sse/internal/testsupport"
	"github.com/polysse/sse/redis"
	"github.com/polysse/sse/redis/redistest"
	"github.com/polysse/sse/server"
)

var logNames atomic.Int64

// newLogName returns a log name no other test uses.
func newLogName(t testing.TB) string {
	return fmt.Sprintf("%s-%d", t.Name(), logNames.Add(1))
}

func TestBrokerConformance(t *testing.T) {
	testsupport.CheckLeaks(t)
	srv := redistest.Start(t, redistest.Options{})
	c := dial(t, srv)
	brokertest.Run(t, brokertest.Config{
		New: func(t *testing.T) server.Broker {
			return redis.NewBroker(c, redis.BrokerOptions{Name: newLogName(t), MaxLen: 1000})
		},
		Retain: 1000,
		Evict:  1200, // MAXLEN ~ trims whole stream nodes of 100 entries
	})
}
