package blobs

import (
	"slices"

	"github.com/tickroom/tickroom/game"
)

// cellSize is the side of an interest grid cell, in px.
const cellSize = 256

// grid is a uniform grid of the pellets, rebuilt from the pellet list with
// a counting sort whenever the pellets change, so it allocates only when
// the field fills up. Cells are numbered row by row, so the cells c0..c1
// of one row hold one contiguous run of idx.
type grid struct {
	n      int     // cells per row and per column
	start  []int32 // the pellets of cell c are idx[start[c]:start[c+1]]
	idx    []int32 // indexes into the pellet list, grouped by cell
	cells  []int32 // scratch for build: each pellet's cell
	cursor []int32 // scratch for build
}

func (gr *grid) init(size int32) {
	gr.n = int((size + cellSize - 1) / cellSize)
	gr.start = make([]int32, gr.n*gr.n+1)
	gr.cursor = make([]int32, gr.n*gr.n)
}

// cellOf returns the row or column holding a coordinate in 1/8 px,
// clamped to the grid.
func (gr *grid) cellOf(v int32) int {
	return min(max(int(v/(8*cellSize)), 0), gr.n-1)
}

// build sorts the pellets into cells.
func (gr *grid) build(pellets []game.Entity) {
	gr.cells = gr.cells[:0]
	clear(gr.start)
	for i := range pellets {
		c := int32(gr.cellOf(pellets[i].V[FieldY])*gr.n + gr.cellOf(pellets[i].V[FieldX]))
		gr.cells = append(gr.cells, c)
		gr.start[c+1]++
	}
	for c := 1; c < len(gr.start); c++ {
		gr.start[c] += gr.start[c-1]
	}
	copy(gr.cursor, gr.start)
	gr.idx = slices.Grow(gr.idx[:0], len(pellets))[:len(pellets)]
	for i, c := range gr.cells {
		gr.idx[gr.cursor[c]] = int32(i)
		gr.cursor[c]++
	}
}

// rect returns the columns c0..c1 and rows r0..r1 of the cells that the
// rectangle from (x0, y0) to (x1, y1), in 1/8 px, touches.
func (gr *grid) rect(x0, y0, x1, y1 int32) (c0, c1, r0, r1 int) {
	return gr.cellOf(x0), gr.cellOf(x1), gr.cellOf(y0), gr.cellOf(y1)
}

// row returns the pellets in columns c0..c1 of row r.
func (gr *grid) row(r, c0, c1 int) []int32 {
	return gr.idx[gr.start[r*gr.n+c0]:gr.start[r*gr.n+c1+1]]
}

// Interest appends the indexes into world (as World returned it this
// tick) of what player id sees, ascending: its own blob, dead or alive,
// and every entity that touches its view rectangle — half-extents
// ViewHalfW+ViewGrow·R by ViewHalfH+ViewGrow·R around its centre, R its
// radius — by its bounding square: a live blob of radius r whose centre is
// within half-extents + r, a pellet whose centre is within half-extents +
// PelletRadius. Eaten blobs are seen by no one else. Pellets are looked up
// in the grid, so the cost grows with what is near, not with the field;
// blobs are scanned (a room has at most a few dozen). It allocates nothing
// when dst has room.
func (g *Game) Interest(id PlayerID, world []game.Entity, dst []int32) []int32 {
	self := g.blob(id)
	if self == nil {
		return dst
	}
	g.refreshIfDirty()
	hw, hh := viewHalf(self.r)
	for i := range g.blobs {
		o := &g.blobs[i]
		if o.id == id || o.flags&FlagDead == 0 && abs32(o.x-self.x) <= hw+o.r && abs32(o.y-self.y) <= hh+o.r {
			dst = append(dst, int32(i))
		}
	}
	const pr = PelletRadius * 8
	rx, ry := hw+pr, hh+pr
	c0, c1, r0, r1 := g.grid.rect(self.x-rx, self.y-ry, self.x+rx, self.y+ry)
	first, base := len(dst), int32(len(g.blobs))
	for row := r0; row <= r1; row++ {
		for _, k := range g.grid.row(row, c0, c1) {
			p := &g.pellets[k]
			if abs32(p.V[FieldX]-self.x) <= rx && abs32(p.V[FieldY]-self.y) <= ry {
				dst = append(dst, base+k)
			}
		}
	}
	slices.Sort(dst[first:])
	return dst
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}
