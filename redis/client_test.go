package redis_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/polysse/sse/internal/testsupport"
	"github.com/polysse/sse/redis"
	"github.com/polysse/sse/redis/redistest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClientOption(t *testing.T) {
	o := redis.ClientOption("10.0.0.1:6379", "10.0.0.2:6379")
	assert.Equal(t, []string{"10.0.0.1:6379", "10.0.0.2:6379"}, o.InitAddress)
	assert.True(t, o.DisableCache)
	assert.Equal(t, redis.DefaultDialTimeout, o.Dialer.Timeout)
	assert.Equal(t, redis.DefaultConnTimeout, o.ConnWriteTimeout)
	assert.Equal(t, redis.DefaultClientName, o.ClientName)
	assert.Zero(t, o.MaxFlushDelay)
}

func TestDial(t *testing.T) {
	testsupport.CheckLeaks(t)
	srv := redistest.Start(t, redistest.Options{})
	host, port, err := net.SplitHostPort(srv.Addr())
	require.NoError(t, err)
	for _, addr := range []string{
		srv.Addr(),
		"redis://" + srv.Addr(),
		"redis://" + srv.Addr() + "/3",
		"redis://" + host + ":" + port + "?dial_timeout=1s",
	} {
		t.Run(addr, func(t *testing.T) {
			c, err := redis.Dial(addr)
			require.NoError(t, err)
			defer c.Close()
			ctx := context.Background()
			name, err := c.Do(ctx, c.B().ClientGetname().Build()).ToString()
			require.NoError(t, err)
			assert.Equal(t, redis.DefaultClientName, name)
			if strings.HasSuffix(addr, "/3") {
				require.NoError(t, c.Do(ctx, c.B().Set().Key("in-db-3").Value("x").Build()).Error())
				info, err := srv.Info("keyspace")
				require.NoError(t, err)
				assert.Contains(t, info, "db3", "the URL's database is selected")
			}
		})
	}
}

func TestDialWithPassword(t *testing.T) {
	testsupport.CheckLeaks(t)
	srv := redistest.Start(t, redistest.Options{Password: "right"})
	c, err := redis.Dial("redis://:right@" + srv.Addr())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Do(context.Background(), c.B().Ping().Build()).Error())
}

func TestDialFails(t *testing.T) {
	testsupport.CheckLeaks(t)
	// A port that was free a moment ago: nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := l.Addr().String()
	l.Close()
	srv := redistest.Start(t, redistest.Options{Password: "right"})

	tests := []struct {
		name        string
		addr        string
		unavailable bool
		hidden      string // must not appear in the error
	}{
		{"empty", "", false, ""},
		{"bad scheme", "http://" + srv.Addr(), false, ""},
		{"nothing listens", closed, true, ""},
		{"nothing listens, URL with password", "redis://user:s3cret@" + closed, true, "s3cret"},
		{"wrong password", "redis://:s3cret@" + srv.Addr(), false, "s3cret"},
		{"no password", srv.Addr(), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			within(t, 10*time.Second, func() {
				c, err := redis.Dial(tt.addr)
				if c != nil {
					c.Close()
				}
				require.Error(t, err)
				assert.Nil(t, c)
				assert.True(t, strings.HasPrefix(err.Error(), "redis: "), "error %q has the package prefix", err)
				if tt.unavailable {
					assert.ErrorIs(t, err, redis.ErrUnavailable)
				} else {
					assert.NotErrorIs(t, err, redis.ErrUnavailable)
				}
				if tt.hidden != "" {
					assert.NotContains(t, err.Error(), tt.hidden)
				}
			})
		})
	}
}
