package redis

// PauseReader stops b's reader between two reads (once it is there: within
// BrokerOptions.Block) and returns the function that lets it go on.
func PauseReader(b *Broker) (resume func()) {
	g := &gate{open: make(chan struct{}), parked: make(chan struct{})}
	b.gate.Store(g)
	<-g.parked
	return func() {
		b.gate.Store(nil)
		close(g.open)
	}
}
