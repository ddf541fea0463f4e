package netcode

import "math"

// Hand-written MessagePack for the hot path (snapshots): integers and array
// headers in their smallest forms, exactly as the msgpack.Encoder writes
// them, appended without an io.Writer in between.

// appendUint appends v in its smallest MessagePack form.
func appendUint(b []byte, v uint64) []byte {
	switch {
	case v <= 0x7f:
		return append(b, byte(v))
	case v <= math.MaxUint8:
		return append(b, 0xcc, byte(v))
	case v <= math.MaxUint16:
		return append(b, 0xcd, byte(v>>8), byte(v))
	case v <= math.MaxUint32:
		return append(b, 0xce, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return append(b, 0xcf, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32),
		byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// appendInt appends v in its smallest MessagePack form: an unsigned form
// when v ≥ 0.
func appendInt(b []byte, v int64) []byte {
	switch {
	case v >= 0:
		return appendUint(b, uint64(v))
	case v >= -32:
		return append(b, byte(v))
	case v >= math.MinInt8:
		return append(b, 0xd0, byte(v))
	case v >= math.MinInt16:
		return append(b, 0xd1, byte(v>>8), byte(v))
	case v >= math.MinInt32:
		return append(b, 0xd2, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return append(b, 0xd3, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32),
		byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// appendArrayLen appends an array header for n elements.
func appendArrayLen(b []byte, n int) []byte {
	switch {
	case n <= 15:
		return append(b, 0x90|byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xdc, byte(n>>8), byte(n))
	}
	return append(b, 0xdd, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// insertArrayHeader inserts at b[start] the header of an array of n
// elements whose elements are b[start:], so an array can be written before
// its length is known.
func insertArrayHeader(b []byte, start, n int) []byte {
	var h [5]byte
	hdr := appendArrayLen(h[:0], n)
	b = append(b, hdr...)
	copy(b[start+len(hdr):], b[start:len(b)-len(hdr)])
	copy(b[start:], hdr)
	return b
}
