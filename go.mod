module github.com/polysse/sse

go 1.26
