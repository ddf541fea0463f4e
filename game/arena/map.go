package arena

// Point is a position in px.
type Point struct{ X, Y int32 }

// Default map size in px and thickness of its boundary walls.
const (
	mapW      = 2400
	mapH      = 1600
	wallThick = 32
)

// DefaultMap returns the arena's map: boundary walls and cover that is
// symmetric under both mirror axes, so no spawn is better than another.
func DefaultMap() Map {
	walls := []Wall{
		// Boundary.
		{0, 0, mapW, wallThick},
		{0, mapH - wallThick, mapW, wallThick},
		{0, wallThick, wallThick, mapH - 2*wallThick},
		{mapW - wallThick, wallThick, wallThick, mapH - 2*wallThick},
		// Centre block and the pillars flanking it.
		{1120, 720, 160, 160},
		{800, 736, 64, 128},
		{1536, 736, 64, 128},
		// Bars shielding the top and bottom spawns.
		{1184, 240, 32, 240},
		{1184, 1120, 32, 240},
	}
	// One quadrant of cover, mirrored into the other three.
	quadrant := []Wall{
		{240, 240, 96, 96},  // corner pillar
		{560, 400, 320, 32}, // long bar
		{400, 560, 32, 160}, // side post
	}
	for _, w := range quadrant {
		walls = append(walls, mirrored(w)...)
	}
	return Map{W: mapW, H: mapH, Walls: walls}
}

// mirrored returns w and its images under the map's vertical and horizontal
// mirror axes.
func mirrored(w Wall) []Wall {
	mx := mapW - w.X - w.W
	my := mapH - w.Y - w.H
	return []Wall{{w.X, w.Y, w.W, w.H}, {mx, w.Y, w.W, w.H}, {w.X, my, w.W, w.H}, {mx, my, w.W, w.H}}
}

// DefaultSpawns returns the default map's spawn points: the four corners
// and the middle of each side. All are clear of walls by more than PlayerRadius.
func DefaultSpawns() []Point {
	return []Point{
		{128, 128}, {mapW - 128, 128}, {128, mapH - 128}, {mapW - 128, mapH - 128},
		{mapW / 2, 128}, {mapW / 2, mapH - 128}, {128, mapH / 2}, {mapW - 128, mapH / 2},
	}
}
