// Command floor is the capacity benchmark's bare baseline: a WebSocket
// server on the same transport as tickroom (coder/websocket, one reading
// and one writing goroutine per connection, one ticking goroutine per room)
// that does no game at all. It speaks tickroom.v2 as the arena: its
// welcome carries the arena's schema, so a client decodes its frames as it
// would tickroom's. Each tick it writes every player one pre-encoded
// 122-byte snapshot frame (five arena players and a shot, as player 1
// sees them), the same bytes for everyone and every tick (every
// tick_rate/send_rate-th tick when a room asks for a send_rate); it reads
// and discards inputs, answers pings with pongs and closes on leave. It
// speaks just enough of the lobby API (create room, join, /ws) for
// tickbot, and exports the tick lateness histogram
// tickroom_tick_lateness_seconds on /metrics.
//
// What it costs per player-tick is the floor that syscalls, wake-ups and
// loopback TCP put under any server on this transport: see
// docs/performance.md.
//
//	go run ./bench/floor -addr 127.0.0.1:8090 [-pprof-addr 127.0.0.1:6061]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/tickroom/tickroom/game"
	"github.com/tickroom/tickroom/game/arena"
	"github.com/tickroom/tickroom/netcode"
)

// frameBytes is the size of the snapshot frame every player gets each tick.
const frameBytes = 122

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	pprofAddr := flag.String("pprof-addr", "", "serve net/http/pprof on this address (empty: off)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *pprofAddr != "" {
		// net/http/pprof registers on http.DefaultServeMux, which the
		// floor's own listener does not serve.
		go func() { log.Print(http.ListenAndServe(*pprofAddr, nil)) }()
	}
	f := newFloor(ctx)
	hs := &http.Server{Addr: *addr, Handler: f.handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	log.Printf("floor listening url=http://%s/", *addr)
	if err := hs.ListenAndServe(); err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

// floor is the server: its rooms and the one frame it sends.
type floor struct {
	ctx   context.Context
	codec *netcode.Codec // the arena's: its schema goes in the welcome
	frame []byte         // the pre-encoded snapshot; never written to
	late  lateness

	mu    sync.Mutex
	rooms map[string]*room // guarded by mu
	next  int              // guarded by mu
}

func newFloor(ctx context.Context) *floor {
	codec := netcode.MustCodec(arena.New(arena.Config{}).Schema())
	return &floor{ctx: ctx, codec: codec, frame: snapshotFrame(codec), rooms: map[string]*room{}}
}

// snapshotFrame builds a valid full arena snapshot of five moving players
// and a shot in flight, as player 1 sees them (its own velocity; the
// others' are private to them), that is exactly frameBytes long, so bots
// that decode snapshots can.
func snapshotFrame(codec *netcode.Codec) []byte {
	var world []game.Entity
	for i := int32(1); i <= 5; i++ {
		e := arena.Entity{ID: uint32(i), Kind: arena.KindPlayer, X: 800 + i*1000, Y: 6400 + i*100,
			VX: 300, VY: -200, Angle: uint16(i * 5000), HP: 100, Score: i}
		world = append(world, e.Wire())
	}
	// Player 2's, fired ten ticks ago at 900 px/s along its aim (300/65536
	// of a turn).
	shot := arena.Entity{ID: arena.FirstShotID, Kind: arena.KindProjectile, X: 2800 + 180, Y: 6600 + 6,
		VX: 7197, VY: 207, Angle: 300, Owner: 2, Born: 990}
	world = append(world, shot.Wire())
	f := codec.AppendSnapshot(nil, 1000, 0, 0, 1, netcode.View{}, netcode.View{World: world})
	if len(f) != frameBytes {
		panic(fmt.Sprintf("floor: snapshot frame is %d bytes, not %d", len(f), frameBytes))
	}
	return f
}

func (f *floor) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/rooms", f.createRoom)
	mux.HandleFunc("POST /api/rooms/{id}/join", f.join)
	mux.HandleFunc("GET /ws", f.serveWS)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /metrics", f.late.serve)
	return mux
}

// room ticks and wakes its players' writers. Its goroutine owns nothing
// but the schedule; players come and go under mu.
type room struct {
	id        string
	tickRate  int
	sendEvery int // ticks per frame sent: tick_rate / send_rate
	maxSeats  int
	nextID    atomic.Uint32

	mu      sync.Mutex
	players map[*player]struct{} // guarded by mu
}

type player struct {
	wake chan struct{} // cap 1: a frame is due
	done chan struct{} // closed when the reader returns
}

func (f *floor) createRoom(w http.ResponseWriter, r *http.Request) {
	var req struct {
		MaxPlayers int `json:"max_players"`
		TickRate   int `json:"tick_rate"`
		SendRate   int `json:"send_rate"`
	}
	json.NewDecoder(r.Body).Decode(&req)
	if req.TickRate < 10 || req.TickRate > 60 {
		req.TickRate = 30
	}
	if req.SendRate < 1 || req.SendRate > req.TickRate || req.TickRate%req.SendRate != 0 {
		req.SendRate = req.TickRate
	}
	if req.MaxPlayers < 1 {
		req.MaxPlayers = 8
	}
	f.mu.Lock()
	f.next++
	rm := &room{id: "floor-" + strconv.Itoa(f.next), tickRate: req.TickRate, sendEvery: req.TickRate / req.SendRate,
		maxSeats: req.MaxPlayers, players: map[*player]struct{}{}}
	f.rooms[rm.id] = rm
	f.mu.Unlock()
	go rm.run(f.ctx, f.late.observe)
	writeJSON(w, http.StatusCreated, map[string]any{"id": rm.id, "name": rm.id, "max_players": rm.maxSeats,
		"tick_rate": rm.tickRate, "send_rate": rm.tickRate / rm.sendEvery})
}

func (f *floor) room(id string) *room {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rooms[id]
}

func (f *floor) join(w http.ResponseWriter, r *http.Request) {
	rm := f.room(r.PathValue("id"))
	if rm == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"status": 404, "title": "Not Found", "detail": "no such room"})
		return
	}
	id := rm.nextID.Add(1)
	token := fmt.Sprintf("%s.%d", rm.id, id)
	writeJSON(w, http.StatusOK, map[string]any{"room_id": rm.id, "player_id": id, "token": token,
		"ws_url": "ws://" + r.Host + "/ws?token=" + token})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (f *floor) serveWS(w http.ResponseWriter, r *http.Request) {
	roomID, idText, _ := strings.Cut(r.URL.Query().Get("token"), ".")
	id, err := strconv.ParseUint(idText, 10, 32)
	rm := f.room(roomID)
	if rm == nil || err != nil {
		http.Error(w, "bad token", http.StatusUnauthorized)
		return
	}
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{netcode.Subprotocol}})
	if err != nil {
		return
	}
	conn.SetReadLimit(netcode.MaxFrameBytes)
	welcome := netcode.AppendWelcome(nil, &netcode.Welcome{PlayerID: uint32(id), RoomID: rm.id,
		TickRate: uint8(rm.tickRate), SendRate: uint8(rm.tickRate / rm.sendEvery), ReconnectToken: "-",
		Game: arena.Name, Mode: "ffa", Schema: f.codec.Schema()})
	if conn.Write(r.Context(), websocket.MessageBinary, welcome) != nil {
		conn.CloseNow()
		return
	}
	p := &player{wake: make(chan struct{}, 1), done: make(chan struct{})}
	rm.add(p)
	go p.write(conn, f.frame)
	readLoop(conn, f.codec)
	rm.remove(p)
	close(p.done)
	conn.CloseNow()
}

// readLoop reads and discards inputs, answers pings (decoded with codec)
// and ends on leave or when the connection does.
func readLoop(conn *websocket.Conn, codec *netcode.Codec) {
	ctx := context.Background() // no Done: reads do not allocate
	buf := make([]byte, 0, 512)
	var m netcode.ClientMessage
	var pong []byte
	for {
		_, rd, err := conn.Reader(ctx)
		if err != nil {
			return
		}
		buf = buf[:0]
		for {
			if len(buf) == cap(buf) {
				buf = append(buf, 0)[:len(buf)]
			}
			n, err := rd.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err != nil {
				break
			}
		}
		if len(buf) < 2 {
			continue
		}
		switch netcode.MsgType(buf[1]) {
		case netcode.MsgPing:
			if codec.DecodeClient(buf, &m) == nil {
				pong = netcode.AppendPong(pong[:0], netcode.Pong{ClientTime: m.ClientTime})
				conn.Write(ctx, websocket.MessageBinary, pong)
			}
		case netcode.MsgLeave:
			conn.Close(websocket.StatusNormalClosure, "")
			return
		}
	}
}

// write sends the shared frame each time the room wakes the player.
func (p *player) write(conn *websocket.Conn, frame []byte) {
	ctx := context.Background()
	for {
		select {
		case <-p.done:
			return
		case <-p.wake:
		}
		if conn.Write(ctx, websocket.MessageBinary, frame) != nil {
			conn.CloseNow()
			return
		}
	}
}

func (rm *room) add(p *player) {
	rm.mu.Lock()
	rm.players[p] = struct{}{}
	rm.mu.Unlock()
}

func (rm *room) remove(p *player) {
	rm.mu.Lock()
	delete(rm.players, p)
	rm.mu.Unlock()
}

func (rm *room) wakeAll() {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	for p := range rm.players {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}

// run ticks on the same schedule as a tickroom room: its own phase, a
// timer to the next tick's time, lateness measured against it. Every sendEvery-th tick (a
// room's send_rate below its tick_rate) it wakes the players' writers.
func (rm *room) run(ctx context.Context, observe func(time.Duration)) {
	period := time.Second / time.Duration(rm.tickRate)
	timer := time.NewTimer(period)
	defer timer.Stop()
	// Like a tickroom room, each room ticks at its own phase.
	next := time.Now().Add(period - rand.N(period))
	for tick := 1; ; tick++ {
		timer.Reset(time.Until(next))
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		now := time.Now()
		observe(now.Sub(next))
		if tick%rm.sendEvery == 0 {
			rm.wakeAll()
		}
		next = next.Add(period)
		if now.Sub(next) > 5*period {
			next = now.Add(period)
		}
	}
}
