package main

import (
	"math"
	"testing"
	"time"
)

func TestHistBuckets(t *testing.T) {
	prev := -1
	for us := uint64(0); us < 1<<20; us += 1 + us/64 {
		i := bucketOf(us)
		if i < prev || i >= histBuckets {
			t.Fatalf("bucketOf(%d) = %d after %d", us, i, prev)
		}
		lo, hi := bucketRange(i)
		if float64(us) < lo || float64(us) >= hi {
			t.Fatalf("%d µs in bucket %d = [%v, %v)", us, i, lo, hi)
		}
		if hi-lo > math.Max(1, lo/16) {
			t.Fatalf("bucket %d = [%v, %v) wider than 1/16", i, lo, hi)
		}
		prev = i
	}
	if got := bucketOf(1 << 40); got != histBuckets-1 {
		t.Errorf("bucketOf(2^40) = %d, want the last bucket %d", got, histBuckets-1)
	}
}

func TestHistQuantile(t *testing.T) {
	var h hist
	for i := range 1000 {
		h.Add(time.Duration(i+1) * 100 * time.Microsecond) // 0.1 .. 100 ms
	}
	var c counts
	h.addTo(&c)
	for _, tc := range []struct{ q, want float64 }{{0.5, 50}, {0.99, 99}, {1, 100}} {
		if got := c.quantile(tc.q); math.Abs(got-tc.want) > tc.want/16 {
			t.Errorf("quantile(%v) = %.3f ms, want %.3f ± 1/16", tc.q, got, tc.want)
		}
	}
	var empty counts
	if got := empty.quantile(0.99); got != 0 {
		t.Errorf("empty quantile = %v, want 0", got)
	}
}
