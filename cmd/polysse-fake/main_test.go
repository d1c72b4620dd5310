//go:build !js

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/polysse/sse/internal/testsupport"
)

const routes = `{"version": 1, "routes": [
  {"route": "GET /feed", "options": {"heartbeat": 0}, "answers": [{"stream": [{"event": {"id": "1", "data": "hello"}}]}]},
  {"route": "POST /news", "options": {"topics": ["news"], "replay": 10, "autoIds": true, "heartbeat": 0}, "answers": [{"stream": []}]}
]}`

// TestMain runs the command itself when the test binary is started as a subprocess.
func TestMain(m *testing.M) {
	if os.Getenv("POLYSSE_FAKE_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type started struct {
	URL     string `json:"url"`
	Control string `json:"control"`
}

// start runs the command in-process with args and returns its URLs, a function that
// closes its stdin and a channel with run's error.
func start(t *testing.T, args ...string) (started, func(), <-chan error) {
	t.Helper()
	testsupport.CheckLeaks(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "routes.json")
	require.NoError(t, os.WriteFile(file, []byte(routes), 0o600))
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), append([]string{"--routes", file}, args...), stdinR, stdoutW, io.Discard)
		stdoutW.Close()
	}()
	line, err := bufio.NewReader(stdoutR).ReadString('\n')
	require.NoError(t, err)
	go func() { _, _ = io.Copy(io.Discard, stdoutR) }()
	var s started
	require.NoError(t, json.Unmarshal([]byte(line), &s))
	stop := func() { stdinW.Close() }
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("the command did not exit after stdin closed")
		}
	})
	return s, stop, done
}

func call(t *testing.T, method, url, body string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func TestStandaloneWithControlAPI(t *testing.T) {
	s, _, _ := start(t, "--port", "0")
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+$`, s.URL)
	assert.Equal(t, s.URL+"/__polysse", s.Control)

	resp, body := call(t, "GET", s.Control+"/health", "")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, body, `"ok":true`)

	// A scope of its own: routes from the file, an override, the journal.
	resp, body = call(t, "POST", s.Control+"/scopes", "")
	require.Equal(t, 201, resp.StatusCode, body)
	var scope struct{ Scope, BaseURL string }
	require.NoError(t, json.Unmarshal([]byte(body), &scope))
	assert.Equal(t, s.URL+"/s/"+scope.Scope, scope.BaseURL)
	sc := s.Control + "/scopes/" + scope.Scope

	resp, body = call(t, "POST", sc+"/routes", `{"route": "GET /once", "answers": [{"respond": {"status": 401, "headers": {"WWW-Authenticate": "Bearer"}}}]}`)
	require.Equal(t, 204, resp.StatusCode, body)
	resp, _ = call(t, "GET", scope.BaseURL+"/once", "")
	assert.Equal(t, 401, resp.StatusCode)
	assert.Equal(t, "Bearer", resp.Header.Get("WWW-Authenticate"))
	resp, _ = call(t, "GET", s.URL+"/once", "")
	assert.Equal(t, 404, resp.StatusCode, "the default scope does not see the override")

	resp, body = call(t, "POST", sc+"/next", `{"route": "GET /feed", "answer": {"respond": {"status": 503, "headers": {"Retry-After": "1"}}}}`)
	require.Equal(t, 204, resp.StatusCode, body)
	resp, _ = call(t, "GET", scope.BaseURL+"/feed", "")
	assert.Equal(t, 503, resp.StatusCode)

	// A live connection, driven through the API.
	streamResp, err := http.Get(scope.BaseURL + "/feed")
	require.NoError(t, err)
	defer streamResp.Body.Close()
	r := bufio.NewReader(streamResp.Body)
	readLine := func() string {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		return line
	}
	assert.Equal(t, ": ok\n", readLine())
	assert.Equal(t, "id: 1\n", readLine())
	assert.Equal(t, "data: hello\n", readLine())
	_ = readLine()
	_, body = call(t, "GET", sc+"/connections?route=GET%20/feed&min=1&wait=5000", "")
	var conns []struct {
		ID   string `json:"id"`
		Open bool   `json:"open"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &conns))
	require.Len(t, conns, 1, body)
	conn := sc + "/connections/" + conns[0].ID
	resp, body = call(t, "POST", conn+"/send", `{"type": "t", "data": {"n": 1}}`)
	require.Equal(t, 204, resp.StatusCode, body)
	assert.Equal(t, "event: t\n", readLine())
	assert.Equal(t, `data: {"n":1}`+"\n", readLine())
	_ = readLine()
	resp, _ = call(t, "POST", conn+"/comment", `{"text": "hi"}`)
	assert.Equal(t, 204, resp.StatusCode)
	assert.Equal(t, ": hi\n", readLine())
	resp, _ = call(t, "POST", conn+"/raw", `{"rawBase64": "ZGF0YTogcmF3Cgo="}`)
	assert.Equal(t, 204, resp.StatusCode)
	assert.Equal(t, "data: raw\n", readLine())
	_ = readLine()
	resp, _ = call(t, "POST", sc+"/broadcast", `{"route": "GET /feed", "event": {"data": "all"}}`)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "data: all\n", readLine())
	_ = readLine()
	resp, _ = call(t, "POST", conn+"/complete", `{"data": "done"}`)
	assert.Equal(t, 204, resp.StatusCode)
	rest, _ := io.ReadAll(r)
	assert.Regexp(t, `^id: [0-9a-f-]{36}\nevent: complete\ndata: done\n\n$`, string(rest))
	resp, body = call(t, "POST", conn+"/send", `{"data": "late"}`)
	assert.Equal(t, 409, resp.StatusCode)
	assert.Contains(t, body, "has ended: complete")

	// The journal, and errors.
	resp, body = call(t, "GET", sc+"/requests?route=GET%20/feed&min=2&wait=5000", "")
	assert.Equal(t, 200, resp.StatusCode)
	var entries []map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &entries))
	require.Len(t, entries, 2)
	assert.Equal(t, []any{float64(503), float64(200)}, []any{entries[0]["status"], entries[1]["status"]})
	assert.Equal(t, []any{float64(1), float64(2)}, []any{entries[0]["attempt"], entries[1]["attempt"]})
	resp, body = call(t, "POST", sc+"/routes", `{"route": "GET /x", "answers": [{"stream": [{"commnet": "x"}]}]}`)
	assert.Equal(t, 400, resp.StatusCode)
	assert.Contains(t, body, `answers[0].stream[0]: unknown step \"commnet\"`)
	resp, _ = call(t, "POST", s.Control+"/scopes/nope/next", `{}`)
	assert.Equal(t, 404, resp.StatusCode)
	resp, _ = call(t, "POST", sc+"/next", `{"route": "GET /missing", "answer": {"drop": true}}`)
	assert.Equal(t, 404, resp.StatusCode)

	// Publish through the servers, and reset.
	newsResp, err := http.Post(scope.BaseURL+"/news", "text/plain", nil)
	require.NoError(t, err)
	defer newsResp.Body.Close()
	nr := bufio.NewReader(newsResp.Body)
	_, _ = nr.ReadString('\n')
	line, _ := nr.ReadString('\n')
	assert.Regexp(t, `^id: \w+-0\n$`, line, "the start position, an event with only an id")
	line, _ = nr.ReadString('\n')
	assert.Equal(t, "\n", line)
	resp, body = call(t, "POST", sc+"/publish", `{"topic": "news", "event": {"data": "extra"}}`)
	require.Equal(t, 200, resp.StatusCode, body)
	line, _ = nr.ReadString('\n')
	assert.Regexp(t, `^id: \w+-1\n$`, line)
	resp, _ = call(t, "DELETE", sc+"/routes", "")
	assert.Equal(t, 204, resp.StatusCode)
	rest, err = io.ReadAll(nr)
	require.NoError(t, err, "reset ends the stream cleanly")
	assert.Equal(t, "data: extra\n\n", string(rest))
	_, body = call(t, "GET", sc+"/requests", "")
	assert.Equal(t, "[]\n", body, "reset empties the journal")
	resp, _ = call(t, "DELETE", sc, "")
	assert.Equal(t, 204, resp.StatusCode)
	resp, _ = call(t, "GET", scope.BaseURL+"/feed", "")
	assert.Equal(t, 404, resp.StatusCode, "the scope is gone: its path is the default scope's, which has no such route")
}

func TestStandaloneCORS(t *testing.T) {
	s, _, _ := start(t)
	resp, _ := call(t, "OPTIONS", s.URL+"/feed", "", "Origin", "http://page.test", "Access-Control-Request-Method", "GET",
		"Access-Control-Request-Headers", "last-event-id, authorization")
	assert.Equal(t, 204, resp.StatusCode)
	assert.Equal(t, "http://page.test", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
	assert.Equal(t, "last-event-id, authorization", resp.Header.Get("Access-Control-Allow-Headers"))

	req, _ := http.NewRequest("GET", s.URL+"/feed", nil)
	req.Header.Set("Origin", "http://page.test")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "http://page.test", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "SSE-Heartbeat-Interval, SSE-Outcome, SSE-Replay, Retry-After", resp.Header.Get("Access-Control-Expose-Headers"))
}

func TestStandaloneFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--cors", "all"}, `--cors "all": want echo, echo-nocreds, star or off`},
		{[]string{"--port", "70000"}, "--port 70000: out of range"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--routes", "/does/not/exist.json"}, "open /does/not/exist.json: no such file or directory"},
	} {
		err := run(context.Background(), tc.args, nil, io.Discard, io.Discard)
		assert.EqualError(t, err, tc.want)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"version": 1, "routes": [{"route": "GET /x", "answers": [{"stream": ["close"]}]}]}`), 0o600))
	err := run(context.Background(), []string{"--routes", bad}, nil, io.Discard, io.Discard)
	assert.EqualError(t, err, bad+`: script: routes[0].answers[0].stream[0]: unknown ending "close" (known: "end", "drop", "hold")`)
}

// The command as a process: it prints its URLs, serves, and exits on SIGTERM or when
// its standard input, a pipe, closes; with /dev/null as its standard input (a command
// started in the background) it keeps serving until SIGTERM.
func TestStandaloneProcess(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "routes.json")
	require.NoError(t, os.WriteFile(file, []byte(routes), 0o600))
	for _, how := range []string{"SIGTERM", "stdin EOF", "stdin /dev/null"} {
		t.Run(how, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "--routes", file, "--quiet")
			cmd.Env = append(os.Environ(), "POLYSSE_FAKE_MAIN=1")
			var stdin io.WriteCloser
			if how != "stdin /dev/null" { // exec gives a nil Stdin /dev/null
				var err error
				stdin, err = cmd.StdinPipe()
				require.NoError(t, err)
			}
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			stderr := new(lockedBuffer)
			cmd.Stderr = stderr
			require.NoError(t, cmd.Start())
			line, err := bufio.NewReader(stdout).ReadString('\n')
			require.NoError(t, err, stderr.String())
			var s started
			require.NoError(t, json.Unmarshal([]byte(line), &s))
			for range 3 { // /dev/null ended at once: a process that watched it would be gone
				resp, body := call(t, "GET", s.Control+"/health", "")
				assert.Equal(t, 200, resp.StatusCode, body)
			}
			if how != "stdin EOF" {
				require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
			} else {
				require.NoError(t, stdin.Close())
			}
			waited := make(chan error, 1)
			go func() { waited <- cmd.Wait() }()
			select {
			case err := <-waited:
				require.NoError(t, err, stderr.String())
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatal("the process did not exit")
			}
		})
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
