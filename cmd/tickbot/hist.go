package main

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// A hist counts durations in log-linear buckets of microseconds: exact
// below 16 µs, then 16 buckets per power of two, each at most 6.25% wide;
// quantiles interpolate within a bucket. Add is safe from any goroutine and allocates
// nothing.
type hist struct {
	b [histBuckets]atomic.Uint32
}

const (
	histSub     = 16 // buckets per power of two
	histShift   = 4  // log2(histSub)
	histMaxExp  = 31 // values from 2^31 µs (~36 min) share the last bucket
	histBuckets = histSub * (histMaxExp - histShift + 1)
)

func bucketOf(us uint64) int {
	if us < histSub {
		return int(us)
	}
	e := bits.Len64(us) - 1 // ≥ histShift
	if e >= histMaxExp {
		return histBuckets - 1
	}
	m := int(us>>(e-histShift)) - histSub // 0..histSub-1
	return histSub + (e-histShift)*histSub + m
}

// bucketRange is the span [lo, hi) of bucket i, in µs.
func bucketRange(i int) (lo, hi float64) {
	if i < histSub {
		return float64(i), float64(i + 1)
	}
	e := (i-histSub)/histSub + histShift
	m := (i - histSub) % histSub
	w := uint64(1) << (e - histShift)
	return float64(uint64(histSub+m) * w), float64(uint64(histSub+m+1) * w)
}

func (h *hist) Add(d time.Duration) {
	us := max(d.Microseconds(), 0)
	h.b[bucketOf(uint64(us))].Add(1)
}

// counts is a plain copy of a hist, for merging and quantiles.
type counts [histBuckets]uint64

func (h *hist) addTo(c *counts) {
	for i := range h.b {
		c[i] += uint64(h.b[i].Load())
	}
}

func (c *counts) sub(o *counts) counts {
	var d counts
	for i := range c {
		d[i] = c[i] - o[i]
	}
	return d
}

func (c *counts) total() uint64 {
	var n uint64
	for _, v := range c {
		n += v
	}
	return n
}

// quantile returns the q-quantile (0..1) in milliseconds, 0 when empty.
func (c *counts) quantile(q float64) float64 {
	n := c.total()
	if n == 0 {
		return 0
	}
	rank := q * float64(n)
	var seen float64
	for i, v := range c {
		if v == 0 {
			continue
		}
		if seen+float64(v) >= rank {
			lo, hi := bucketRange(i)
			return (lo + (hi-lo)*(rank-seen)/float64(v)) / 1000
		}
		seen += float64(v)
	}
	_, hi := bucketRange(histBuckets - 1)
	return hi / 1000
}
