package redistest_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/polysse/sse/redis/redistest"
	"github.com/redis/rueidis"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func client(t *testing.T, srv *redistest.Server) rueidis.Client {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{srv.Addr()}, DisableCache: true})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// do runs a command, asking again while the client reconnects after a restart (bounded).
func do(t *testing.T, c rueidis.Client, cmd ...string) rueidis.RedisResult {
	t.Helper()
	var r rueidis.RedisResult
	for range 100 {
		r = c.Do(context.Background(), c.B().Arbitrary(cmd...).Build())
		if _, isReply := rueidis.IsRedisErr(r.Error()); r.Error() == nil || isReply || rueidis.IsRedisNil(r.Error()) {
			return r
		}
	}
	return r
}

// launch is Launch for a test, skipped like Start when redis-server is missing (outside CI).
func launch(t *testing.T, opts redistest.Options) (*redistest.Server, error) {
	t.Helper()
	s, err := redistest.Launch(t.TempDir(), opts)
	if ci := os.Getenv("CI"); errors.Is(err, redistest.ErrNotInstalled) && ci != "true" && ci != "1" {
		t.Skip(err)
	}
	return s, err
}

func TestStartAnswersAsTheProcessItStarted(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	info, err := srv.Info("server")
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(srv.PID()), info["process_id"])
	assert.Equal(t, srv.Addr(), "127.0.0.1:"+info["tcp_port"])
	assert.NotEqual(t, "6379", info["tcp_port"], "never the system Redis port")
	assert.FileExists(t, filepath.Join(srv.Dir(), "redis.log"))

	persistence, err := srv.Info("persistence")
	require.NoError(t, err)
	assert.Equal(t, "0", persistence["aof_enabled"])
}

func TestServersAreIndependent(t *testing.T) {
	a := redistest.Start(t, redistest.Options{})
	b := redistest.Start(t, redistest.Options{})
	assert.NotEqual(t, a.Addr(), b.Addr())
	require.NoError(t, do(t, client(t, a), "SET", "k", "a").Error())
	assert.True(t, rueidis.IsRedisNil(do(t, client(t, b), "GET", "k").Error()))
}

func TestKillAndRestart(t *testing.T) {
	tests := []struct {
		p        redistest.Persistence
		survives bool
	}{
		{redistest.NoPersistence, false},
		{redistest.AOFAlways, true},
	}
	for _, tt := range tests {
		t.Run(tt.p.String(), func(t *testing.T) {
			srv := redistest.Start(t, redistest.Options{Persistence: tt.p})
			c := client(t, srv)
			require.NoError(t, do(t, c, "SET", "k", "v").Error())
			pid, addr := srv.PID(), srv.Addr()

			require.NoError(t, srv.Kill())
			assert.Zero(t, srv.PID())
			require.NoError(t, srv.Kill(), "killing a stopped server does nothing")
			_, err := srv.Info("server")
			require.Error(t, err, "nothing answers after the kill")

			require.NoError(t, srv.Restart())
			assert.Equal(t, addr, srv.Addr(), "same port")
			assert.NotEqual(t, pid, srv.PID(), "a new process")
			info, err := srv.Info("server")
			require.NoError(t, err)
			assert.Equal(t, strconv.Itoa(srv.PID()), info["process_id"])

			v, err := do(t, c, "GET", "k").ToString()
			if tt.survives {
				require.NoError(t, err)
				assert.Equal(t, "v", v)
			} else {
				assert.True(t, rueidis.IsRedisNil(err), "restarted empty: got %q, %v", v, err)
			}
			require.Error(t, srv.Restart(), "restart of a running server")
		})
	}
}

func TestFreezeAndThaw(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	c := client(t, srv)
	require.NoError(t, do(t, c, "SET", "k", "v").Error())
	require.NoError(t, srv.Freeze())
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := c.Do(ctx, c.B().Get().Key("k").Build()).Error()
	require.ErrorIs(t, err, context.DeadlineExceeded, "a frozen server does not answer")
	require.NoError(t, srv.Thaw())
	v, err := do(t, c, "GET", "k").ToString()
	require.NoError(t, err)
	assert.Equal(t, "v", v)
}

func TestCloseIsFinal(t *testing.T) {
	srv, err := launch(t, redistest.Options{})
	require.NoError(t, err)
	require.NoError(t, srv.Close())
	require.NoError(t, srv.Close(), "Close is idempotent")
	require.Error(t, srv.Restart())
	require.Error(t, srv.Freeze())
}

func TestBadOptions(t *testing.T) {
	_, err := redistest.Launch(t.TempDir(), redistest.Options{Persistence: 7})
	require.ErrorContains(t, err, "Persistence(7)")
	_, err = launch(t, redistest.Options{Args: []string{"--no-such-option", "1"}})
	require.ErrorContains(t, err, "exited at start", "a server that cannot start says why")
	require.ErrorContains(t, err, "no-such-option", "with its output")
}

func TestArgs(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{Args: []string{"--maxmemory", "12345678"}})
	mem, err := srv.Info("memory")
	require.NoError(t, err)
	assert.Equal(t, "12345678", mem["maxmemory"])
}

func TestNotInstalled(t *testing.T) {
	_, err := redistest.Launch(t.TempDir(), redistest.Options{Binary: filepath.Join(t.TempDir(), "no-redis-server")})
	require.ErrorIs(t, err, redistest.ErrNotInstalled)
	if os.Getenv("CI") == "" {
		// Start skips without CI: run it in a subtest and check that it skipped.
		var skipped bool
		t.Run("skips", func(t *testing.T) {
			defer func() { skipped = t.Skipped() }()
			redistest.Start(t, redistest.Options{Binary: "/nonexistent/redis-server"})
		})
		assert.True(t, skipped)
	}
}

func TestReplicaAndPromote(t *testing.T) {
	primary := redistest.Start(t, redistest.Options{})
	replica := redistest.Start(t, redistest.Options{ReplicaOf: primary.Addr()})
	p, r := client(t, primary), client(t, replica)
	require.NoError(t, do(t, p, "SET", "k", "v").Error())
	require.Eventually(t, func() bool {
		v, err := do(t, r, "GET", "k").ToString()
		return err == nil && v == "v"
	}, 10*time.Second, 5*time.Millisecond, "the write reaches the replica")
	info, err := replica.Info("replication")
	require.NoError(t, err)
	assert.Equal(t, "slave", info["role"])
	err = do(t, r, "SET", "k", "w").Error()
	require.ErrorContains(t, err, "READONLY", "a replica refuses writes")

	require.NoError(t, replica.Promote())
	info, err = replica.Info("replication")
	require.NoError(t, err)
	assert.Equal(t, "master", info["role"])
	require.NoError(t, do(t, r, "SET", "k", "w").Error(), "a promoted replica takes writes")
	require.NoError(t, do(t, p, "SET", "k2", "x").Error())
	assert.True(t, rueidis.IsRedisNil(do(t, r, "GET", "k2").Error()), "and no longer follows its primary")
	require.NoError(t, replica.Promote(), "promoting a primary does nothing")

	_, err = redistest.Launch(t.TempDir(), redistest.Options{ReplicaOf: "no-port"})
	require.ErrorContains(t, err, "ReplicaOf")
}

func TestStartCluster(t *testing.T) {
	servers := redistest.StartCluster(t, 3, redistest.Options{})
	require.Len(t, servers, 3)
	// A client given one node finds the others and spreads keys over them by slot.
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{servers[1].Addr()}, DisableCache: true})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	for i := range 64 {
		require.NoError(t, c.Do(t.Context(), c.B().Set().Key("k"+strconv.Itoa(i)).Value("v").Build()).Error())
	}
	for i, s := range servers {
		info, err := s.Info("cluster")
		require.NoError(t, err)
		assert.Equal(t, "1", info["cluster_enabled"], "server %d", i)
		keys, err := s.Info("keyspace")
		require.NoError(t, err)
		assert.Contains(t, keys["db0"], "keys=", "server %d holds some of the keys", i)
	}
	// A multi-key command across slots is refused: what a Redis Cluster allows.
	err = c.Do(t.Context(), c.B().Arbitrary("MSET").Args("a", "1", "b", "2").Build()).Error()
	require.ErrorContains(t, err, "CROSSSLOT")
}
