package redistest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A server that says it is ready but is not the one answering on the port (a stray Redis
// holds it) is refused: the check of INFO server process_id.
func TestStrayServerOnThePortIsRefused(t *testing.T) {
	stray := Start(t, Options{})

	// A stand-in for redis-server that logs "ready" but listens nowhere.
	fake := filepath.Join(t.TempDir(), "fake-redis-server")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\necho 'Ready to accept connections'\nexec sleep 60\n"), 0o755))
	s := &Server{bin: fake, dir: t.TempDir(), opts: Options{StartTimeout: 5e9}, port: stray.port}
	s.mu.Lock()
	err := s.startLocked()
	s.mu.Unlock()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "another server holds the port")
	assert.Nil(t, s.proc, "the fake process was killed")
}
