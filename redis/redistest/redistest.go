// Package redistest runs throwaway redis-server processes for tests and benchmarks.
//
// Start launches a redis-server of its own on 127.0.0.1 and a free port, with its data in a
// temporary directory, and stops it when the test ends. It never uses a Redis that happens to
// run on the machine (Debian's package starts one on 6379): after every start it asks the
// server for its process id (INFO server) and refuses to go on unless the server that
// answers is the process it started, so a stray server on the port can never serve old data
// to a test. A test can kill the server with SIGKILL, restart it on the same port with the
// same data directory, and freeze it (SIGSTOP) to play an unresponsive Redis.
//
// A server can start as a replica of another (Options.ReplicaOf) and be promoted to a
// primary (Promote), to play a failover; StartCluster starts servers in cluster mode and
// joins them into a Redis Cluster.
//
// The redis-server binary comes from Options.Binary or PATH. When it is missing, Start skips
// the test with a message saying how to install it, except under CI=true (or CI=1), where it
// fails the test: nothing may be skipped silently there.
package redistest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Persistence is how a test server keeps its data across a kill and restart.
type Persistence int

const (
	// NoPersistence runs without RDB snapshots and without an append-only file
	// (--save "" --appendonly no): a restarted server comes back empty.
	NoPersistence Persistence = iota
	// AOFAlways runs with the append-only file synced on every write
	// (--appendonly yes --appendfsync always): every write acknowledged before a kill is
	// there again after the restart.
	AOFAlways
)

// String returns "none" or "aof-always".
func (p Persistence) String() string {
	switch p {
	case NoPersistence:
		return "none"
	case AOFAlways:
		return "aof-always"
	}
	return "Persistence(" + strconv.Itoa(int(p)) + ")"
}

// Options configure a test server. The zero value runs redis-server from PATH without
// persistence.
type Options struct {
	// Persistence selects NoPersistence (the default) or AOFAlways.
	Persistence Persistence
	// Password, when set, is required from clients (--requirepass); redistest's own
	// connections authenticate with it.
	Password string
	// Args are extra redis-server arguments, appended after the ones redistest sets, e.g.
	// []string{"--maxmemory", "10mb"}.
	Args []string
	// Binary is the redis-server executable; empty means "redis-server" looked up in PATH.
	Binary string
	// StartTimeout bounds each start, from launching the process to its first answer;
	// zero means 10 seconds. StartCluster also waits this long for the cluster to form.
	StartTimeout time.Duration
	// ReplicaOf, when set ("host:port"), starts the server as a replica of the Redis
	// there (--replicaof; --masterauth Password when Password is set), read-only and
	// asynchronously replicated, until Promote makes it a primary. Start returns once the
	// replica answers, not once it has synchronised: poll Info("replication") for that.
	ReplicaOf string
	// Cluster starts the server with cluster mode on (--cluster-enabled yes), its
	// cluster bus on a second free port of its own. Alone it serves no slot: StartCluster
	// starts such servers and joins them into a cluster.
	Cluster bool
}

// ErrNotInstalled means that no redis-server executable was found. Launch returns it
// (wrapped); Start turns it into a skip, or a failure under CI.
var ErrNotInstalled = errors.New("redistest: redis-server not found (install it: apt-get install redis-server)")

// errPortTaken reports a start that failed because the port was not free. Only the first
// start of a Server, which may choose another port, retries on it.
var errPortTaken = errors.New("redistest: port in use")

// Server is a redis-server process started by redistest, on a fixed port and data directory
// for its whole life. Its methods are safe for concurrent use.
type Server struct {
	bin  string
	dir  string
	opts Options
	port int
	bus  int // the cluster bus port, with Options.Cluster

	mu     sync.Mutex
	proc   *process // the running process; nil after Kill or Close
	closed bool
}

// process is one run of redis-server.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has exited and its output is drained
}

// Start launches a redis-server for tb (see Launch) in a directory from tb.TempDir and
// registers its Close with tb.Cleanup. It skips tb when redis-server is not installed, or
// fails tb under CI=true; it fails tb when the server does not start.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := Launch(tb.TempDir(), opts)
	if errors.Is(err, ErrNotInstalled) {
		if isCI() {
			tb.Fatalf("%v; under CI=true a missing redis-server fails the test (the test scripts install it: make test-redis)", err)
		}
		tb.Skipf("%v; skipping (make test-redis installs it; under CI=true this fails)", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

// Launch starts a redis-server on 127.0.0.1 and a free port with its data in dir (which
// must exist), waits until it answers, and checks that the answering server is the process
// it started. The caller must Close it. It returns an error wrapping ErrNotInstalled when no
// redis-server executable is found.
func Launch(dir string, opts Options) (*Server, error) {
	if opts.Persistence != NoPersistence && opts.Persistence != AOFAlways {
		return nil, fmt.Errorf("redistest: unknown %v", opts.Persistence)
	}
	if opts.ReplicaOf != "" {
		if _, _, err := net.SplitHostPort(opts.ReplicaOf); err != nil {
			return nil, fmt.Errorf("redistest: ReplicaOf %q: %w", opts.ReplicaOf, err)
		}
	}
	bin := opts.Binary
	if bin == "" {
		bin = "redis-server"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotInstalled, err)
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 10 * time.Second
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("redistest: %w", err)
	}
	s := &Server{bin: path, dir: dir, opts: opts}
	// A free port can be taken by someone else between its discovery and redis-server's
	// bind: try a few.
	for attempt := 0; ; attempt++ {
		if s.port, err = freePort(); err != nil {
			return nil, err
		}
		if opts.Cluster {
			if s.bus, err = freePort(); err != nil {
				return nil, err
			}
		}
		s.mu.Lock()
		err = s.startLocked()
		s.mu.Unlock()
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errPortTaken) || attempt == 4 {
			return nil, err
		}
	}
}

// Addr returns the server's address, "127.0.0.1:<port>". It stays the same across restarts.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Dir returns the server's data directory (its log is redis.log there).
func (s *Server) Dir() string { return s.dir }

// PID returns the process id of the running server, or 0 when it is not running.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	return s.proc.cmd.Process.Pid
}

// Kill kills the server with SIGKILL (nothing is flushed that was not already) and waits
// until the process has exited. Killing a server that is not running does nothing.
func (s *Server) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.killLocked()
}

// Restart starts the server again on the same port with the same data directory after a
// Kill, and waits until it answers. With AOFAlways it comes back with every acknowledged
// write; with NoPersistence it comes back empty. It fails when the server is running, was
// closed, or when the port was taken meanwhile.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return errors.New("redistest: restart of a closed server")
	case s.proc != nil:
		return errors.New("redistest: restart of a running server (Kill it first)")
	}
	return s.startLocked()
}

// Freeze stops the server process with SIGSTOP: connections stay open but nothing is
// answered, as with a hung or unreachable Redis. Thaw resumes it; Kill and Close work on a
// frozen server too.
func (s *Server) Freeze() error { return s.signal(sigStop) }

// Thaw resumes a server stopped by Freeze with SIGCONT.
func (s *Server) Thaw() error { return s.signal(sigCont) }

func (s *Server) signal(sig os.Signal) error {
	if sig == nil {
		return errors.New("redistest: Freeze and Thaw need a Unix system")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return errors.New("redistest: server is not running")
	}
	if err := s.proc.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("redistest: %v: %w", sig, err)
	}
	return nil
}

// Close kills the server and waits for it to exit; the data directory is left for its
// owner to remove (Start's comes from tb.TempDir). Close is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return s.killLocked()
}

// Info runs INFO section on the running server and returns its fields, e.g.
// Info("server")["process_id"]. It opens a connection of its own for the call.
func (s *Server) Info(section string) (map[string]string, error) {
	return info(s.Addr(), s.opts.Password, section, 5*time.Second)
}

// Promote makes a replica a primary (REPLICAOF NO ONE), as a failover does: it stops
// following its primary, keeps the data it had received, and takes writes. Promoting a
// primary does nothing.
func (s *Server) Promote() error {
	_, err := command(s.Addr(), s.opts.Password, time.Now().Add(5*time.Second), "REPLICAOF", "NO", "ONE")
	if err != nil {
		return fmt.Errorf("redistest: promote %s: %w", s.Addr(), err)
	}
	return nil
}

func (s *Server) killLocked() error {
	p := s.proc
	if p == nil {
		return nil
	}
	s.proc = nil
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("redistest: kill: %w", err)
	}
	<-p.exited
	return nil
}

func (s *Server) args() []string {
	a := []string{
		"--bind", "127.0.0.1",
		"--port", strconv.Itoa(s.port),
		"--dir", s.dir,
		"--daemonize", "no",
		"--logfile", "", // the log goes to stdout, which redistest copies to redis.log
		"--save", "",
		// A replica's full synchronisation starts at once, not after the 5 s that
		// redis-server waits by default for more replicas to share the transfer.
		"--repl-diskless-sync-delay", "0",
	}
	switch s.opts.Persistence {
	case NoPersistence:
		a = append(a, "--appendonly", "no")
	case AOFAlways:
		a = append(a, "--appendonly", "yes", "--appendfsync", "always")
	}
	if s.opts.Password != "" {
		a = append(a, "--requirepass", s.opts.Password)
	}
	if s.opts.ReplicaOf != "" {
		host, port, _ := net.SplitHostPort(s.opts.ReplicaOf) // checked by Launch
		a = append(a, "--replicaof", host, port)
		if s.opts.Password != "" {
			a = append(a, "--masterauth", s.opts.Password)
		}
	}
	if s.opts.Cluster {
		a = append(a, "--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(s.bus),
			"--cluster-config-file", "nodes.conf")
	}
	return append(a, s.opts.Args...)
}

// startLocked launches the process and waits until it is ready and proven to be the one
// that answers on the port.
func (s *Server) startLocked() error {
	logf, err := os.OpenFile(filepath.Join(s.dir, "redis.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("redistest: %w", err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		logf.Close()
		return fmt.Errorf("redistest: %w", err)
	}
	cmd := exec.Command(s.bin, s.args()...)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		logf.Close()
		return fmt.Errorf("redistest: start %s: %w", s.bin, err)
	}
	pw.Close() // the child holds the write end now; EOF comes when it exits

	p := &process{cmd: cmd, exited: make(chan struct{})}
	ready := make(chan struct{})
	var out bytes.Buffer // the output of this run, for error messages
	var outMu sync.Mutex
	go func() {
		defer close(p.exited)
		sc := bufio.NewScanner(pr)
		signalled := false
		for sc.Scan() {
			line := sc.Bytes()
			outMu.Lock()
			if out.Len() < 64<<10 {
				out.Write(line)
				out.WriteByte('\n')
			}
			outMu.Unlock()
			logf.Write(line)
			logf.Write([]byte{'\n'})
			if !signalled && bytes.Contains(line, []byte("Ready to accept connections")) {
				signalled = true
				close(ready)
			}
		}
		io.Copy(io.Discard, pr) // a line too long for the scanner: drain the rest
		pr.Close()
		logf.Close()
		cmd.Wait()
	}()
	output := func() string {
		outMu.Lock()
		defer outMu.Unlock()
		return strings.TrimSpace(out.String())
	}
	fail := func(err error) error {
		cmd.Process.Kill()
		<-p.exited
		return err
	}

	timer := time.NewTimer(s.opts.StartTimeout)
	defer timer.Stop()
	select {
	case <-ready:
	case <-p.exited:
		o := output()
		err := fmt.Errorf("redistest: redis-server exited at start (%s); its output:\n%s", cmd.ProcessState, o)
		if strings.Contains(o, "Address already in use") {
			err = fmt.Errorf("%w: %w", errPortTaken, err)
		}
		return err
	case <-timer.C:
		return fail(fmt.Errorf("redistest: redis-server did not get ready within %v; its output:\n%s", s.opts.StartTimeout, output()))
	}

	// The log says ready; prove that the server answering on the port is this process.
	fields, err := info(s.Addr(), s.opts.Password, "server", s.opts.StartTimeout)
	if err != nil {
		return fail(fmt.Errorf("redistest: redis-server on %s does not answer: %w", s.Addr(), err))
	}
	if got, want := fields["process_id"], strconv.Itoa(cmd.Process.Pid); got != want {
		return fail(fmt.Errorf("redistest: the redis-server answering on %s has process_id %q, not %s (the one started): another server holds the port",
			s.Addr(), got, want))
	}
	s.proc = p
	return nil
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("redistest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func isCI() bool {
	v := os.Getenv("CI")
	return v == "true" || v == "1"
}
