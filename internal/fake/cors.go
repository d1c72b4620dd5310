package fake

import (
	"net/http"

	"github.com/polysse/sse/internal/fake/script"
)

// ExposedHeaders are the response headers a CORS answer lets scripts read.
const ExposedHeaders = "SSE-Heartbeat-Interval, SSE-Outcome, SSE-Replay, Retry-After"

// setCORS sets the CORS response headers of mode for a request from origin:
//
//	echo          the request's Origin is allowed, with credentials
//	echo-nocreds  the same without Access-Control-Allow-Credentials
//	star          any origin, without credentials
//	off (or "")   nothing
//
// Each but off exposes ExposedHeaders.
func setCORS(h http.Header, mode, origin string) {
	switch mode {
	case script.CORSEcho, script.CORSEchoNoCreds:
		h.Add("Vary", "Origin")
		if origin == "" {
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		if mode == script.CORSEcho {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
	case script.CORSStar:
		h.Set("Access-Control-Allow-Origin", "*")
	default:
		return
	}
	h.Set("Access-Control-Expose-Headers", ExposedHeaders)
}
