// Command cluster is the three-node walk-through of docs/cluster.md run
// and measured: three tickroom nodes on this machine, the first running
// the embedded NATS server, a tickbot swarm with -rejoin against the
// second, and one node killed (SIGKILL, no cleanup) in the middle of the
// run. It prints a progress line a second (each node's rooms and players,
// as the surviving lobby lists them) and then a Markdown summary: when the
// killed node's rooms left the lobby, where its bots went, the join
// latency and the directory's traffic. bench/cluster.sh builds the
// binaries and runs it.
//
//	bench/cluster.sh
//	bench/cluster.sh -rooms 24 -bots-per-room 8 -duration 60s -kill-at 20s
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type options struct {
	bin         string
	rooms       int
	perRoom     int
	behavior    string
	duration    time.Duration
	killAt      time.Duration
	victim      string
	keep        string
	tickbotArgs string
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "", "directory holding the tickroom and tickbot binaries")
	flag.IntVar(&o.rooms, "rooms", 12, "tickbot -rooms: rooms the swarm creates (placed over the three nodes)")
	flag.IntVar(&o.perRoom, "bots-per-room", 8, "tickbot -bots-per-room")
	flag.StringVar(&o.behavior, "behavior", "fighter", "tickbot -behavior")
	flag.DurationVar(&o.duration, "duration", 40*time.Second, "tickbot -duration")
	flag.DurationVar(&o.killAt, "kill-at", 15*time.Second, "kill the victim node this long after tickbot starts")
	flag.StringVar(&o.victim, "victim", "c", "the node to kill: a (which also runs NATS), b (the one tickbot talks to) or c")
	flag.StringVar(&o.keep, "keep", "", "keep the nodes' logs in this directory (default: a temporary one, removed)")
	flag.StringVar(&o.tickbotArgs, "tickbot-args", "", "extra tickbot flags (space-separated)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
}

// node is one tickroom process of the cluster.
type node struct {
	id   string
	url  string
	cmd  *exec.Cmd
	dead bool
}

func run(o options) error {
	if o.killAt >= o.duration {
		return fmt.Errorf("-kill-at %v must come before the end of -duration %v", o.killAt, o.duration)
	}
	dir := o.keep
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	} else {
		d, err := os.MkdirTemp("", "tickroom-cluster")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	natsPort, err := freePort()
	if err != nil {
		return err
	}
	// Every bot of this machine is one client to the lobby: the per-client
	// quotas would stop the swarm, as bots.md explains.
	common := []string{"-token-key", "bench-cluster-key", "-log-format", "json", "-default-room", "",
		"-max-conns-per-ip", "-1", "-rooms-per-client", "-1", "-room-create-rate", "-1",
		"-pending-per-client", "-1", "-room-pending-share", "-1", "-max-streams-per-client", "-1"}
	var nodes []*node
	defer func() {
		for _, n := range nodes {
			if !n.dead {
				n.cmd.Process.Signal(syscall.SIGTERM)
				n.cmd.Wait()
			}
		}
	}()
	for _, id := range []string{"a", "b", "c"} {
		port, err := freePort()
		if err != nil {
			return err
		}
		args := append([]string{"-addr", fmt.Sprintf("127.0.0.1:%d", port), "-node-id", id}, common...)
		if id == "a" {
			args = append(args, "-nats-embed", fmt.Sprintf("127.0.0.1:%d", natsPort), "-nats-store", filepath.Join(dir, "nats"))
		} else {
			args = append(args, "-nats", fmt.Sprintf("nats://127.0.0.1:%d", natsPort))
		}
		n, err := startNode(o.bin, dir, id, args)
		if err != nil {
			return err
		}
		nodes = append(nodes, n)
		n.url = fmt.Sprintf("http://127.0.0.1:%d", port)
		if err := waitReady(n.url, 20*time.Second); err != nil {
			return fmt.Errorf("node %s: %w", id, err)
		}
	}
	byID := map[string]*node{"a": nodes[0], "b": nodes[1], "c": nodes[2]}
	victim, ok := byID[o.victim]
	if !ok {
		return fmt.Errorf("-victim %q: want a, b or c", o.victim)
	}
	entry := byID["b"] // tickbot's server
	watch := byID["a"] // whose lobby the progress lines read
	if o.victim == "a" {
		watch = byID["c"]
	}
	if o.victim == "b" {
		entry = byID["a"]
	}
	if err := waitFor(10*time.Second, func() error {
		if n := len(listNodes(watch.url)); n != 3 {
			return fmt.Errorf("%s lists %d nodes", watch.id, n)
		}
		return nil
	}); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "three nodes up: a %s (embedded NATS on %d), b %s, c %s; tickbot against %s, %s dies at %v\n",
		nodes[0].url, natsPort, nodes[1].url, nodes[2].url, entry.id, victim.id, o.killAt)

	before := map[string]map[string]float64{}
	for _, n := range nodes {
		before[n.id] = scrape(n.url)
	}
	tbArgs := []string{"-server", entry.url, "-rooms", strconv.Itoa(o.rooms), "-bots-per-room", strconv.Itoa(o.perRoom),
		"-behavior", o.behavior, "-duration", o.duration.String(), "-ramp", "5s", "-rejoin", "-json", "-quiet"}
	tbArgs = append(tbArgs, strings.Fields(o.tickbotArgs)...)
	tb := exec.Command(filepath.Join(o.bin, "tickbot"), tbArgs...)
	var tbOut, tbErr strings.Builder
	tb.Stdout, tb.Stderr = &tbOut, &tbErr
	start := time.Now()
	if err := tb.Start(); err != nil {
		return err
	}
	tbDone := make(chan error, 1)
	go func() { tbDone <- tb.Wait() }()

	var killedAt time.Time
	var gone time.Duration // from the kill to the victim's rooms leaving watch's lobby
	unlisted := make(chan time.Duration, 1)
	var atKill, atEnd []nodeLoad
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var tbErrRun error
loop:
	for {
		select {
		case tbErrRun = <-tbDone:
			break loop
		case now := <-tick.C:
			if killedAt.IsZero() && now.Sub(start) >= o.killAt {
				atKill = listNodes(watch.url)
				victim.cmd.Process.Kill()
				victim.cmd.Wait()
				victim.dead = true
				killedAt = time.Now()
				fmt.Fprintf(os.Stderr, "t=%4.1fs  node %s killed (SIGKILL)\n", now.Sub(start).Seconds(), victim.id)
				// Watch its rooms leave the lobby closely.
				go func() {
					for roomsByNode(watch.url)[victim.id] > 0 {
						time.Sleep(20 * time.Millisecond)
					}
					unlisted <- time.Since(killedAt)
				}()
			}
			select {
			case gone = <-unlisted:
				fmt.Fprintf(os.Stderr, "t=%4.1fs  %s's rooms left %s's lobby %.2f s after the kill\n", now.Sub(start).Seconds(), victim.id, watch.id, gone.Seconds())
			default:
			}
			loads := listNodes(watch.url)
			rooms := roomsByNode(watch.url)
			fmt.Fprintf(os.Stderr, "t=%4.1fs  %s\n", now.Sub(start).Seconds(), describe(loads, rooms))
			atEnd = loads
		}
	}
	elapsed := time.Since(start)
	if tbErrRun != nil {
		return fmt.Errorf("tickbot: %v\n%s", tbErrRun, tbErr.String())
	}
	var sum map[string]float64
	if err := json.Unmarshal([]byte(tbOut.String()), &sum); err != nil {
		return fmt.Errorf("tickbot's summary: %v\n%s", err, tbOut.String())
	}
	after := map[string]map[string]float64{}
	for _, n := range nodes {
		if !n.dead {
			after[n.id] = scrape(n.url)
		}
	}
	report(os.Stdout, o, entry.id, sum, atKill, atEnd, gone, before, after, elapsed)
	return nil
}

func startNode(bin, dir, id string, args []string) (*node, error) {
	logf, err := os.Create(filepath.Join(dir, "node-"+id+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(bin, "tickroom"), args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	go func() { cmd.Wait(); logf.Close() }()
	return &node{id: id, cmd: cmd}, nil
}

// nodeLoad is a node as GET /api/nodes lists it.
type nodeLoad struct {
	ID      string `json:"id"`
	Players int    `json:"players"`
	Rooms   int    `json:"rooms"`
}

func listNodes(url string) []nodeLoad {
	var body struct {
		Nodes []nodeLoad `json:"nodes"`
	}
	getJSON(url+"/api/nodes", &body)
	return body.Nodes
}

// roomsByNode counts the rooms a lobby lists, by the node that runs them.
func roomsByNode(url string) map[string]int {
	var body struct {
		Rooms []struct {
			Node string `json:"node"`
		} `json:"rooms"`
	}
	getJSON(url+"/api/rooms", &body)
	n := map[string]int{}
	for _, r := range body.Rooms {
		n[r.Node]++
	}
	return n
}

func describe(loads []nodeLoad, rooms map[string]int) string {
	var parts []string
	for _, l := range loads {
		parts = append(parts, fmt.Sprintf("%s: %2d rooms (%2d listed) %3d players", l.ID, l.Rooms, rooms[l.ID], l.Players))
	}
	return strings.Join(parts, " | ")
}

func report(w io.Writer, o options, entry string, sum map[string]float64, atKill, atEnd []nodeLoad, gone time.Duration,
	before, after map[string]map[string]float64, elapsed time.Duration) {
	fmt.Fprintf(w, "%d rooms of %d %s bots (tickbot -rejoin) against node %s for %v; node %s killed at %v\n\n",
		o.rooms, o.perRoom, o.behavior, entry, o.duration, o.victim, o.killAt)
	fmt.Fprintln(w, "| node | rooms / players before the kill | rooms / players at the end |")
	fmt.Fprintln(w, "|---|---:|---:|")
	end := map[string]nodeLoad{}
	for _, l := range atEnd {
		end[l.ID] = l
	}
	for _, l := range atKill {
		e, ok := end[l.ID]
		last := "gone"
		if ok {
			last = fmt.Sprintf("%d / %d", e.Rooms, e.Players)
		}
		fmt.Fprintf(w, "| %s | %d / %d | %s |\n", l.ID, l.Rooms, l.Players, last)
	}
	if gone > 0 {
		fmt.Fprintf(w, "\n- the killed node's rooms left the lobby %.2f s after the kill\n", gone.Seconds())
	} else {
		fmt.Fprintf(w, "\n- the killed node's rooms were still listed when the run ended\n")
	}
	fmt.Fprintf(w, "- bots: %.0f planned, %.0f connected at the end, %.0f disconnects, %.0f rejoins, %.0f connect errors; delivered %.4f of the snapshots while connected\n",
		sum["bots"], sum["connected"], sum["disconnects"], sum["rejoins"], sum["connect_errors"], sum["delivered_ratio"])
	fmt.Fprintf(w, "- joins through node %s to rooms of every node (first request to welcome): p50 %.2f ms, p99 %.2f ms\n", entry, sum["join_p50_ms"], sum["join_p99_ms"])
	fmt.Fprintf(w, "- rejoins (from losing the connection to the welcome of the next, by quick play): p50 %.0f ms, p99 %.0f ms\n", sum["rejoin_p50_ms"], sum["rejoin_p99_ms"])
	secs := elapsed.Seconds()
	fmt.Fprintln(w, "\nDirectory traffic of the nodes that lived, over the run (their `/metrics`):")
	fmt.Fprintln(w, "\n| node | room record writes (creates + updates + deletes) | per second | rooms it ran at the end | writes per room per second | heartbeats | calls to other nodes (create, reserve) | p50 / p99 call (ms) |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, id := range []string{"a", "b", "c"} {
		a, ok := after[id]
		if !ok {
			continue
		}
		b := before[id]
		d := func(k string) float64 { return a[k] - b[k] }
		writes := d("tickroom_directory_creates_total") + d("tickroom_directory_updates_total") + d("tickroom_directory_deletes_total")
		rooms := float64(end[id].Rooms)
		perRoom := 0.0
		if rooms > 0 {
			perRoom = d("tickroom_directory_updates_total") / secs / rooms
		}
		calls := 0.0
		for k, v := range a {
			if strings.HasPrefix(k, "tickroom_cluster_calls_total{") {
				calls += v - b[k]
			}
		}
		p50, p99 := callQuantiles(b, a)
		fmt.Fprintf(w, "| %s | %.0f | %.1f | %.0f | %.2f | %.0f | %.0f | %.2f / %.2f |\n",
			id, writes, writes/secs, rooms, perRoom, d("tickroom_directory_heartbeats_total"), calls, p50, p99)
	}
}

// callQuantiles estimates the p50 and p99 of tickroom_cluster_call_seconds
// over the run, from its buckets (every op together), at the upper bound
// of the bucket each falls in.
func callQuantiles(before, after map[string]float64) (p50, p99 float64) {
	type bucket struct{ le, n float64 }
	var bs []bucket
	les := map[float64]float64{}
	for k, v := range after {
		if !strings.HasPrefix(k, "tickroom_cluster_call_seconds_bucket{") {
			continue
		}
		i := strings.Index(k, `le="`)
		if i < 0 {
			continue
		}
		s := k[i+4:]
		s = s[:strings.IndexByte(s, '"')]
		le, err := strconv.ParseFloat(s, 64)
		if err != nil {
			continue
		}
		les[le] += v - before[k]
	}
	for le, n := range les {
		bs = append(bs, bucket{le, n})
	}
	for i := range bs { // sort by le: a handful of buckets
		for j := i + 1; j < len(bs); j++ {
			if bs[j].le < bs[i].le {
				bs[i], bs[j] = bs[j], bs[i]
			}
		}
	}
	if len(bs) == 0 || bs[len(bs)-1].n == 0 {
		return 0, 0
	}
	total := bs[len(bs)-1].n
	q := func(f float64) float64 {
		for _, b := range bs {
			if b.n >= f*total {
				return b.le * 1000
			}
		}
		return bs[len(bs)-1].le * 1000
	}
	return q(0.5), q(0.99)
}

// scrape reads a node's /metrics into series name (with labels) → value.
func scrape(url string) map[string]float64 {
	m := map[string]float64{}
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		return m
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			m[line[:i]] = v
		}
	}
	return m
}

func getJSON(url string, v any) {
	resp, err := http.Get(url)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(v)
}

func waitReady(url string, limit time.Duration) error {
	return waitFor(limit, func() error {
		resp, err := http.Get(url + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/readyz: %s", resp.Status)
		}
		return nil
	})
}

func waitFor(limit time.Duration, ok func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := ok()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
