package ssetest

// An internal test: inBubble decides whether New checks for leaked goroutines in real
// time, which no public behaviour shows without a leak.

import (
	"testing"
	"testing/synctest"
)

func TestInBubble(t *testing.T) {
	if inBubble() {
		t.Fatal("inBubble() = true outside a bubble")
	}
	synctest.Test(t, func(t *testing.T) {
		got := make(chan bool, 2)
		for range 2 { // at once, from two goroutines of the bubble
			go func() { got <- inBubble() }()
		}
		first, second := <-got, <-got
		if !first || !second || !inBubble() {
			t.Fatal("inBubble() = false inside a bubble")
		}
	})
}
