//go:build !js

package scenario

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func newServer(t *testing.T) (*Handler, *httptest.Server) {
	t.Helper()
	h := New(Options{MaxHold: 5 * time.Second})
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = h.Close(ctx)
		ts.Close()
	})
	return h, ts
}

// get requests path and returns the response with its whole body.
func get(t *testing.T, ts *httptest.Server, path string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := ts.Client().Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", path, err)
	}
	return resp, string(b)
}

func settledLog(t *testing.T, ts *httptest.Server, sid string, minN int) []Request {
	t.Helper()
	_, body := get(t, ts, "/log?settled=1&min="+strconv.Itoa(minN)+"&sid="+url.QueryEscape(sid), nil)
	var reqs []Request
	if err := json.Unmarshal([]byte(body), &reqs); err != nil {
		t.Fatalf("log: %v: %s", err, body)
	}
	return reqs
}

func TestEventsAndLog(t *testing.T) {
	_, ts := newServer(t)
	resp, body := get(t, ts, "/sse/events?sid=a&finish=1&x=1", http.Header{"Last-Event-Id": {"é0"}})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"data: one\n\n", "id: é2\nevent: named\ndata: \n\n", "data: END\n\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	reqs := settledLog(t, ts, "a", 1)
	if len(reqs) != 1 {
		t.Fatalf("log: %+v", reqs)
	}
	r := reqs[0]
	if r.Seq != 1 || r.Attempt != 1 || r.Scenario != "events" || r.Method != "GET" || r.Path != "/sse/events" ||
		r.Query != "finish=1&x=1" || r.Status != 200 || !r.Ended || r.ClientGone || r.Header["Last-Event-Id"] != "é0" {
		t.Errorf("log entry: %+v", r)
	}
	if other := settledLog(t, ts, "b", 0); len(other) != 0 {
		t.Errorf("run b: %+v", other)
	}
}

func TestTimesThen(t *testing.T) {
	_, ts := newServer(t)
	var statuses []int
	for range 3 {
		resp, _ := get(t, ts, "/sse/status?code=503&retryAfter=2&times=2&then=events&finish=1&sid=tt", nil)
		statuses = append(statuses, resp.StatusCode)
		if resp.StatusCode == 503 && resp.Header.Get("Retry-After") != "2" {
			t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
		}
	}
	if want := []int{503, 503, 200}; !slices.Equal(statuses, want) {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
	var attempts []int
	for _, r := range settledLog(t, ts, "tt", 3) {
		attempts = append(attempts, r.Attempt)
	}
	if want := []int{1, 2, 3}; !slices.Equal(attempts, want) {
		t.Errorf("attempts %v, want %v", attempts, want)
	}
}

func TestStatusNoContent(t *testing.T) {
	_, ts := newServer(t)
	if resp, _ := get(t, ts, "/sse/status?sid=s", nil); resp.StatusCode != 204 {
		t.Errorf("status %d, want 204", resp.StatusCode)
	}
}

func TestCompleteRedeemsToken(t *testing.T) {
	_, ts := newServer(t)
	_, body := get(t, ts, "/sse/complete?sid=c&data=fin", nil)
	i := strings.Index(body, "id: ")
	if i < 0 || !strings.Contains(body, "event: complete\ndata: fin\n\n") || !strings.Contains(body, "retry: 100\n") {
		t.Fatalf("body:\n%s", body)
	}
	token := body[i+4 : i+4+36]
	resp, _ := get(t, ts, "/sse/complete?sid=c", http.Header{"Last-Event-Id": {token}})
	if resp.StatusCode != 204 || resp.Header.Get("SSE-Outcome") != "complete" {
		t.Errorf("reconnect: status %d, SSE-Outcome %q", resp.StatusCode, resp.Header.Get("SSE-Outcome"))
	}
}

func TestFatal(t *testing.T) {
	_, ts := newServer(t)
	if _, body := get(t, ts, "/sse/fatal?sid=f&data=boom", nil); !strings.Contains(body, "event: fatal\ndata: boom\n\n") {
		t.Errorf("body:\n%s", body)
	}
}

func TestDropAndCut(t *testing.T) {
	_, ts := newServer(t)
	if resp, err := ts.Client().Get(ts.URL + "/sse/drop?sid=d"); err == nil {
		resp.Body.Close()
		t.Fatalf("drop: got a response, status %d", resp.StatusCode)
	}
	resp, err := ts.Client().Get(ts.URL + "/sse/raw?script=beforecut&cut=1&gap=0&sid=d")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil || !strings.Contains(string(b), "id: c1") {
		t.Errorf("cut: body %q, error %v; want the script, then an error", b, err)
	}
	reqs := settledLog(t, ts, "d", 2)
	if len(reqs) != 2 || reqs[0].Status != 0 || reqs[1].Status != 200 {
		t.Errorf("log: %+v", reqs)
	}
}

func TestRawScriptIsSentAsIs(t *testing.T) {
	_, ts := newServer(t)
	resp, body := get(t, ts, "/sse/raw?script=utf8&gap=0&end=1&ctype=text/plain&sid=r", nil)
	if want := strings.Join(rawScripts["utf8"], ""); body != want {
		t.Errorf("body %q, want %q", body, want)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain" {
		t.Errorf("Content-Type %q", ct)
	}
	resp, _ = get(t, ts, "/sse/raw?script=simple&gap=0&end=1&ctype=none&sid=r", nil)
	if _, ok := resp.Header["Content-Type"]; ok {
		t.Errorf("ctype=none: Content-Type %q", resp.Header.Get("Content-Type"))
	}
	if resp, _ := get(t, ts, "/sse/raw?script=nope&sid=r", nil); resp.StatusCode != 404 {
		t.Errorf("unknown script: status %d", resp.StatusCode)
	}
}

func TestRedirect(t *testing.T) {
	_, ts := newServer(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(ts.URL + "/sse/redirect?to=hold&rcode=301&cross=1&sid=rd&retry=5")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 301 || !strings.HasPrefix(loc.Host, "localhost:") || loc.Path != "/sse/hold" ||
		loc.Query().Get("sid") != "rd" || loc.Query().Get("retry") != "5" || loc.Query().Has("rcode") {
		t.Errorf("status %d, Location %s", resp.StatusCode, loc)
	}
	if got := otherHost("localhost:80"); got != "127.0.0.1:80" {
		t.Errorf("otherHost: %q", got)
	}
}

func TestCORS(t *testing.T) {
	_, ts := newServer(t)
	origin := http.Header{"Origin": {"http://127.0.0.1:1"}}
	resp, _ := get(t, ts, "/sse/status?code=401&cors=echo&sid=x", origin)
	if resp.Header.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:1" || resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("echo: %v", resp.Header)
	}
	resp, _ = get(t, ts, "/sse/status?code=401&cors=star&sid=x", origin)
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("star: %v", resp.Header)
	}
	preflight := func(q string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, ts.URL+"/sse/events?sid=pf&"+q, nil)
		req.Header.Set("Origin", "http://127.0.0.1:1")
		req.Header.Set("Access-Control-Request-Method", "GET")
		req.Header.Set("Access-Control-Request-Headers", "last-event-id")
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := preflight("cors=echo"); resp.StatusCode != 405 {
		t.Errorf("preflight without preflight=1: status %d", resp.StatusCode)
	}
	if resp := preflight("cors=echo&preflight=1"); resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Headers") != "last-event-id" {
		t.Errorf("preflight: status %d, headers %v", resp.StatusCode, resp.Header)
	}
	for _, r := range settledLog(t, ts, "pf", 2) {
		if r.Method != http.MethodOptions || r.Attempt != 0 {
			t.Errorf("preflight entry: %+v", r)
		}
	}
}

func TestClientGoneAndWait(t *testing.T) {
	_, ts := newServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/sse/hang?sid=g", nil)
	errc := make(chan error, 1)
	go func() {
		resp, err := ts.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	_, body := get(t, ts, "/log?sid=g&min=1", nil) // waits for the request
	if !strings.Contains(body, `"scenario":"hang"`) {
		t.Fatalf("log: %s", body)
	}
	cancel()
	<-errc
	reqs := settledLog(t, ts, "g", 1)
	if len(reqs) != 1 || !reqs[0].Ended || !reqs[0].ClientGone || reqs[0].Status != 0 {
		t.Errorf("log: %+v", reqs)
	}
}

func TestStallAnnounces(t *testing.T) {
	_, ts := newServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/sse/stall?announce=300&sid=st", nil)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if got := resp.Header.Get("SSE-Heartbeat-Interval"); got != "300" {
		t.Errorf("SSE-Heartbeat-Interval %q", got)
	}
	buf := make([]byte, 256)
	n, _ := io.ReadAtLeast(resp.Body, buf, len(": ok\nretry: 50\nid: s1\ndata: stalled\n\n"))
	if got := string(buf[:n]); !strings.Contains(got, "id: s1\ndata: stalled\n\n") {
		t.Errorf("body %q", got)
	}
}

func TestUnknownAndNames(t *testing.T) {
	_, ts := newServer(t)
	if resp, _ := get(t, ts, "/sse/nope?sid=u", nil); resp.StatusCode != 404 {
		t.Errorf("unknown scenario: status %d", resp.StatusCode)
	}
	if resp, _ := get(t, ts, "/elsewhere", nil); resp.StatusCode != 404 {
		t.Errorf("other path: status %d", resp.StatusCode)
	}
	names := Names()
	if len(names) != len(scenarioDocs) {
		t.Fatalf("Names: %v", names)
	}
	for _, n := range names {
		if Describe(n) == "" {
			t.Errorf("scenario %s has no description", n)
		}
	}
}

func TestLogText(t *testing.T) {
	_, ts := newServer(t)
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/sse/events?sid=bin&finish=1", strings.NewReader("\xffa"))
	req.Header.Set("X-Bin", "\xfe")
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	reqs := settledLog(t, ts, "bin", 1)
	if len(reqs) != 1 || reqs[0].Body != "hex:ff61" || reqs[0].Header["X-Bin"] != "hex:fe" || reqs[0].Method != "POST" {
		t.Errorf("log: %+v", reqs)
	}
}

// Every scenario route is valid, and a route's options are shared as documented.
func TestRoutes(t *testing.T) {
	rs, err := routes()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Options == nil || r.Options.CORS == nil || r.Options.Headers["Connection"] == nil {
			t.Errorf("route %s lacks the common options", r.RouteName())
		}
		if name := strings.TrimPrefix(r.Pattern, "/sse/"); name != "{name}" && Describe(name) == "" {
			t.Errorf("route %s: scenario %q has no description", r.RouteName(), name)
		}
	}
}
