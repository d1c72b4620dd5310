package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// info runs INFO section on a connection of its own and parses the reply. A server that is
// still loading its data (-LOADING) is asked again until timeout.
func info(addr, password, section string, timeout time.Duration) (map[string]string, error) {
	deadline := time.Now().Add(timeout)
	for {
		text, err := command(addr, password, deadline, "INFO", section)
		if err == nil {
			return parseInfo(text), nil
		}
		var re replyError
		if !errors.As(err, &re) || !strings.HasPrefix(string(re), "LOADING") || time.Now().After(deadline) {
			return nil, err
		}
		time.Sleep(5 * time.Millisecond) // the server is loading its data file: ask again
	}
}

// replyError is an error reply (-ERR ...) from the server.
type replyError string

func (e replyError) Error() string { return "redistest: redis replied: " + string(e) }

// command sends one command on a connection of its own (after AUTH when password is set)
// and returns the reply to it.
func command(addr, password string, deadline time.Time, args ...string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Until(deadline))
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if err := conn.SetDeadline(deadline); err != nil {
		return "", err
	}
	r := bufio.NewReader(conn)
	if password != "" {
		if _, err := roundTrip(conn, r, "AUTH", password); err != nil {
			return "", err
		}
	}
	return roundTrip(conn, r, args...)
}

// roundTrip writes one command and reads a reply that is a simple string, an error or a
// bulk string: enough for INFO, AUTH and the like.
func roundTrip(w io.Writer, r *bufio.Reader, args ...string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return "", err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", errors.New("redistest: empty reply")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return "", replyError(line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", fmt.Errorf("redistest: unexpected reply %q", line)
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return "", fmt.Errorf("redistest: unexpected reply %q", line)
}

// parseInfo parses INFO's "field:value" lines; "# Section" lines and blank lines are skipped.
func parseInfo(text string) map[string]string {
	m := make(map[string]string)
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}
