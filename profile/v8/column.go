package v8

// chunkedColumn is a list of uint32 whose length the input does not give,
// grown by chunks of 64 Ki values and never copied: append's growth would
// leave the old arrays to the garbage collector, four times the final size
// for a list grown a quarter at a time (the names of a 200 MB snapshot's
// internal edges, 20 MB, took 98 MB so).
type chunkedColumn struct {
	chunks [][]uint32
	n      int
}

const chunkBits = 16

// append adds v at the end.
func (c *chunkedColumn) append(v uint32) {
	if c.n&(1<<chunkBits-1) == 0 {
		c.chunks = append(c.chunks, make([]uint32, 1<<chunkBits))
	}
	c.chunks[c.n>>chunkBits][c.n&(1<<chunkBits-1)] = v
	c.n++
}

// at returns value i, which must be below len.
func (c *chunkedColumn) at(i int) uint32 { return c.chunks[i>>chunkBits][i&(1<<chunkBits-1)] }

// len returns the number of values.
func (c *chunkedColumn) len() int { return c.n }
