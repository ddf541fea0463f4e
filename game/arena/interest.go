package arena

import (
	"slices"

	"github.com/tickroom/tickroom/game"
)

// Area of interest: what a player's client is sent. The half-extents cover a
// 1600x960 screen at default zoom.
const (
	ViewHalfW = 800 // px
	ViewHalfH = 480 // px
	cellSize  = 256 // px, side of an interest grid cell
)

// grid is a uniform spatial grid over the entity list, rebuilt every Step
// with a counting sort, so it allocates only when the world grows.
type grid struct {
	cols, rows int
	start      []int32 // entities of cell c are idx[start[c]:start[c+1]]
	idx        []int32 // indexes into the entity list, grouped by cell
	cells      []int32 // cell of each entity
	cursor     []int32 // scratch for build
}

func (g *grid) init(w, h int32) {
	g.cols = int((w + cellSize - 1) / cellSize)
	g.rows = int((h + cellSize - 1) / cellSize)
	n := g.cols * g.rows
	g.start = make([]int32, n+1)
	g.cursor = make([]int32, n)
}

// cellXY returns the column or row holding a coordinate in 1/8 px, clamped
// to the grid.
func cellXY(v int32, n int) int {
	return min(max(int(v/8/cellSize), 0), n-1)
}

// build sorts the entities at pos (1/8 px) into cells.
func (g *grid) build(pos []Point) {
	g.cells = g.cells[:0]
	clear(g.start)
	for i := range pos {
		c := int32(cellXY(pos[i].Y, g.rows)*g.cols + cellXY(pos[i].X, g.cols))
		g.cells = append(g.cells, c)
		g.start[c+1]++
	}
	for c := 1; c < len(g.start); c++ {
		g.start[c] += g.start[c-1]
	}
	copy(g.cursor, g.start)
	g.idx = slices.Grow(g.idx[:0], len(pos))[:len(pos)]
	for i, c := range g.cells {
		g.idx[g.cursor[c]] = int32(i)
		g.cursor[c]++
	}
}

// View appends the entities player id can see to dst, sorted by ID: its own
// avatar and every entity whose centre lies within ViewHalfW+PlayerRadius by
// ViewHalfH+PlayerRadius px of it (a projectile's centre where it is now,
// not where its Entity says it started). Other players' velocities are
// zeroed; only the viewer's own avatar and projectiles carry one. View
// allocates nothing when dst has room.
func (a *Arena) View(id PlayerID, dst []Entity) []Entity {
	p := a.player(id)
	if p == nil {
		return dst
	}
	a.refreshIfDirty()
	self := p.entity()
	n0 := len(dst)
	dst = append(dst, self)
	const rx, ry = (ViewHalfW + PlayerRadius) * 8, (ViewHalfH + PlayerRadius) * 8
	x0, x1 := cellXY(self.X-rx, a.grid.cols), cellXY(self.X+rx, a.grid.cols)
	y0, y1 := cellXY(self.Y-ry, a.grid.rows), cellXY(self.Y+ry, a.grid.rows)
	for cy := y0; cy <= y1; cy++ {
		row := cy * a.grid.cols
		for _, i := range a.grid.idx[a.grid.start[row+x0]:a.grid.start[row+x1+1]] {
			e, at := a.ents[i], a.pos[i]
			if e.ID == id || abs32(at.X-self.X) > rx || abs32(at.Y-self.Y) > ry {
				continue
			}
			if e.Kind == KindPlayer {
				e.VX, e.VY = 0, 0
			}
			dst = append(dst, e)
		}
	}
	slices.SortFunc(dst[n0:], func(a, b Entity) int { return cmpID(a.ID, b.ID) })
	return dst
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

// World appends every entity to dst, sorted by ID: players, then
// projectiles (whose ids start at FirstShotID).
func (a *Arena) World(dst []game.Entity) []game.Entity {
	a.refreshIfDirty()
	return append(dst, a.wire...)
}

// Interest appends the indexes into world (as World returned it this tick)
// of what player id sees: its own avatar and every entity whose centre is
// within ViewHalfW+PlayerRadius by ViewHalfH+PlayerRadius px of it (a
// projectile's where it is now). It allocates nothing when dst has room.
func (a *Arena) Interest(id PlayerID, world []game.Entity, dst []int32) []int32 {
	p := a.player(id)
	if p == nil {
		return dst
	}
	a.refreshIfDirty()
	self := p.entity()
	n0 := len(dst)
	const rx, ry = (ViewHalfW + PlayerRadius) * 8, (ViewHalfH + PlayerRadius) * 8
	x0, x1 := cellXY(self.X-rx, a.grid.cols), cellXY(self.X+rx, a.grid.cols)
	y0, y1 := cellXY(self.Y-ry, a.grid.rows), cellXY(self.Y+ry, a.grid.rows)
	for cy := y0; cy <= y1; cy++ {
		row := cy * a.grid.cols
		for _, i := range a.grid.idx[a.grid.start[row+x0]:a.grid.start[row+x1+1]] {
			at := a.pos[i]
			if a.ents[i].ID == id || abs32(at.X-self.X) <= rx && abs32(at.Y-self.Y) <= ry {
				dst = append(dst, i)
			}
		}
	}
	slices.Sort(dst[n0:])
	return dst
}
