// Command capacity runs the capacity benchmark that bench/capacity.sh
// builds and starts: for each load it starts a server pinned to CPU 0 and
// tickbot pinned to CPU 1, lets the bots connect, and measures the server
// over a steady window: CPU (from /proc/PID/stat), RSS, delivered ratio,
// bytes per bot per second, p99 tick lateness (from /metrics when the
// server exports tickroom_tick_lateness_seconds) and player-ticks per
// server-core-second. Each load runs against the bare floor server and
// against tickroom, so the overhead above the floor is visible. A step
// disturbed by other work on the machine is measured again. -mem measures
// memory per idle connection (with heap and goroutine profiles from the
// servers' -pprof-addr), -drop tickroom's RSS over time after idle bots
// all disconnect at once, and -profile where tickroom's CPU goes. See
// docs/performance.md.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
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
	bin         string // directory with tickroom, tickbot and floor
	modes       []string
	loads       []int
	step, max   int
	duration    time.Duration
	ramp        time.Duration
	settle      time.Duration
	behavior    string
	perRoom     int
	tickRate    int
	sendRate    int
	inputHz     int
	serverArgs  []string
	tickbotArgs []string
	mem         int
	drop        int
	dropWatch   time.Duration
	profile     int
	keep        string
	quietWait   time.Duration
	maxOther    float64
	retries     int
}

func main() {
	var o options
	var modes, loads, serverArgs, tickbotArgs string
	flag.StringVar(&o.bin, "bin", "", "directory holding the tickroom, tickbot and floor binaries")
	flag.StringVar(&modes, "modes", "floor,tickroom", "servers to measure, in order")
	flag.StringVar(&loads, "loads", "400,800,1600", "fixed loads (players); then steps up while a server passes")
	flag.IntVar(&o.step, "step", 400, "players added per step after the fixed loads")
	flag.IntVar(&o.max, "max", 4000, "largest load to try")
	flag.DurationVar(&o.duration, "duration", 25*time.Second, "length of one load step, ramp included")
	flag.DurationVar(&o.ramp, "ramp", 5*time.Second, "tickbot -ramp")
	flag.DurationVar(&o.settle, "settle", 3*time.Second, "wait after the ramp before measuring")
	flag.StringVar(&o.behavior, "behavior", "fighter", "tickbot -behavior")
	flag.IntVar(&o.perRoom, "bots-per-room", 8, "tickbot -bots-per-room")
	flag.IntVar(&o.tickRate, "tick-rate", 30, "tick rate of the rooms")
	flag.IntVar(&o.sendRate, "send-rate", 0, "snapshots per second of the rooms; divides -tick-rate (0: every tick)")
	flag.IntVar(&o.inputHz, "input-hz", 30, "tickbot -input-hz")
	flag.StringVar(&serverArgs, "server-args", "", "extra tickroom flags (space-separated)")
	flag.StringVar(&tickbotArgs, "tickbot-args", "", "extra tickbot flags (space-separated)")
	flag.IntVar(&o.mem, "mem", 0, "instead: memory per connection with this many idle bots (-bots-per-room of them in each room)")
	flag.IntVar(&o.drop, "drop", 0, "instead: tickroom's RSS over time after this many idle bots (-bots-per-room of them in each room) disconnect at once")
	flag.DurationVar(&o.dropWatch, "drop-watch", 2*time.Minute, "with -drop: how long to sample RSS after the bots disconnect")
	flag.IntVar(&o.profile, "profile", 0, "instead: CPU profile of tickroom at this load")
	flag.DurationVar(&o.quietWait, "quiet-wait", 2*time.Minute, "before each step, wait up to this long for the rest of the machine to go idle")
	flag.Float64Var(&o.maxOther, "max-other", 0.1, "measure a step again when the rest of the machine used more than this many cores during it")
	flag.IntVar(&o.retries, "retries", 2, "how many times a disturbed step is measured again")
	flag.StringVar(&o.keep, "keep", "", "keep logs and profiles in this directory (default: a temporary one)")
	flag.Parse()
	o.modes = strings.Split(modes, ",")
	o.serverArgs, o.tickbotArgs = strings.Fields(serverArgs), strings.Fields(tickbotArgs)
	for f := range strings.SplitSeq(loads, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			log.Fatalf("-loads: %v", err)
		}
		o.loads = append(o.loads, n)
	}
	log.SetFlags(0)
	log.SetPrefix("capacity: ")
	if o.keep == "" {
		dir, err := os.MkdirTemp("", "capacity")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
		o.keep = dir
	} else if err := os.MkdirAll(o.keep, 0o755); err != nil {
		log.Fatal(err)
	}
	switch {
	case o.mem > 0:
		memory(o)
	case o.drop > 0:
		drop(o)
	case o.profile > 0:
		profile(o)
	default:
		capacity(o)
	}
}

// result is one load step against one server.
type result struct {
	mode                string
	players, connected  int
	cpu                 float64 // server CPU, fraction of one core
	tickbotCPU          float64
	otherCPU            float64 // everything else on the machine, cores
	rssMB               float64
	delivered, bytesBot float64
	lateP99ms           float64 // NaN: the server has no lateness histogram
	gapP99ms, rttP99ms  float64
	lagP50ms, lagP99ms  float64 // input lag (tickbot's human summary); 0: not measured
	disconnects         int
}

func (r result) playerTicksPerCoreSec(tickRate int) float64 {
	if r.cpu <= 0 {
		return 0
	}
	return float64(r.connected*tickRate) / r.cpu
}

func (r result) passed() bool {
	return r.delivered >= 0.99 && (math.IsNaN(r.lateP99ms) || r.lateP99ms <= 2)
}

func capacity(o options) {
	fmt.Printf("| server | players | tick/send (Hz) | server CPU (%% of a core) | RSS (MB) | delivered | bytes/bot/s | p99 tick lateness (ms) | p99 snapshot gap (ms) | input lag p50/p99 (ms) | player-ticks per core-second | tickbot CPU | other load (cores) |\n")
	fmt.Printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	failed := map[string]bool{}
	for i, players := 0, 0; ; i++ {
		fixed := i < len(o.loads)
		switch {
		case fixed:
			players = o.loads[i]
		default:
			players += o.step
		}
		if players > o.max || (!fixed && len(failed) == len(o.modes)) {
			return
		}
		for _, mode := range o.modes {
			if failed[mode] && !fixed {
				continue
			}
			r, err := measureQuiet(o, mode, players)
			if err != nil {
				log.Printf("%s at %d players: %v", mode, players, err)
				failed[mode] = true
				continue
			}
			if !r.passed() {
				failed[mode] = true
			}
			printRow(r, o)
		}
	}
}

// measureQuiet measures a step, and again (up to o.retries times) while
// the rest of the machine disturbed it; the last try counts.
func measureQuiet(o options, mode string, players int) (result, error) {
	for try := 0; ; try++ {
		r, err := measure(o, mode, players)
		if err != nil || r.otherCPU <= o.maxOther || try == o.retries {
			return r, err
		}
		log.Printf("%s at %d players: other load %.2f cores; measuring again", mode, players, r.otherCPU)
	}
}

func printRow(r result, o options) {
	late := "n/a"
	if !math.IsNaN(r.lateP99ms) {
		late = fmt.Sprintf("%.2f", r.lateP99ms)
	}
	lag := "n/a"
	if r.lagP99ms > 0 {
		lag = fmt.Sprintf("%.1f / %.1f", r.lagP50ms, r.lagP99ms)
	}
	send := o.sendRate
	if send == 0 {
		send = o.tickRate
	}
	fmt.Printf("| %s | %d | %d/%d | %.0f | %.0f | %.4f | %.0f | %s | %.1f | %s | %.0f | %.0f%% | %.2f |\n",
		r.mode, r.connected, o.tickRate, send, 100*r.cpu, r.rssMB, r.delivered, r.bytesBot, late, r.gapP99ms, lag,
		r.playerTicksPerCoreSec(o.tickRate), 100*r.tickbotCPU, r.otherCPU)
}

// server is a running server process.
type server struct {
	cmd   *exec.Cmd
	url   string
	pprof string // http://host:port of its net/http/pprof; "" when off
	mode  string
}

// startServer starts a server on CPU 0; withPprof serves its profiles on
// another port (both servers have -pprof-addr).
func startServer(o options, mode string, withPprof bool) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var args []string
	switch mode {
	case "floor":
		args = []string{filepath.Join(o.bin, "floor"), "-addr", addr}
	case "tickroom":
		args = []string{filepath.Join(o.bin, "tickroom"), "-addr", addr, "-default-room", "", "-log-level", "warn",
			"-max-rooms", "10000", "-max-conns-per-ip", "-1", "-rooms-per-client", "-1", "-room-create-rate", "-1",
			"-pending-per-client", "-1", "-room-pending-share", "-1"}
		args = append(args, o.serverArgs...)
	default:
		return nil, fmt.Errorf("unknown mode %q", mode)
	}
	pprofURL := ""
	if withPprof {
		pport, err := freePort()
		if err != nil {
			return nil, err
		}
		pprofAddr := fmt.Sprintf("127.0.0.1:%d", pport)
		args = append(args, "-pprof-addr", pprofAddr)
		pprofURL = "http://" + pprofAddr
	}
	logf, err := os.Create(filepath.Join(o.keep, mode+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("taskset", append([]string{"-c", "0"}, args...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if withPprof {
		// Sample the heap profile every 4 KB rather than 512 KB: per
		// connection sizes need the small allocations too.
		cmd.Env = append(os.Environ(), "GODEBUG=memprofilerate=4096")
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, url: "http://" + addr, pprof: pprofURL, mode: mode}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(s.url + "/healthz"); err == nil {
			resp.Body.Close()
			return s, nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s did not come up on %s", mode, addr)
		}
	}
}

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// pid is the server's own pid: taskset execs it in place.
func (s *server) pid() int { return s.cmd.Process.Pid }

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// tickbotSummary is tickbot's -json output.
type tickbotSummary struct {
	Bots           int     `json:"bots"`
	Connected      int     `json:"connected"`
	Disconnects    int     `json:"disconnects"`
	DeliveredRatio float64 `json:"delivered_ratio"`
	BytesPerBot    float64 `json:"bytes_per_bot_per_sec"`
	RTTP99         float64 `json:"rtt_p99_ms"`
	GapP99         float64 `json:"snapshot_gap_p99_ms"`
	LagP50, LagP99 float64 // from the human summary
}

// bots is a running tickbot.
type bots struct {
	cmd      *exec.Cmd
	out, log bytes.Buffer
}

func startBots(o options, s *server, players int, behavior string, tickRate, sendRate int) (*bots, error) {
	rooms := (players + o.perRoom - 1) / o.perRoom
	args := []string{"-c", "1", filepath.Join(o.bin, "tickbot"), "-server", s.url, "-rooms", strconv.Itoa(rooms),
		"-bots-per-room", strconv.Itoa(o.perRoom), "-behavior", behavior, "-duration", o.duration.String(),
		"-ramp", o.ramp.String(), "-tick-rate", strconv.Itoa(tickRate), "-send-rate", strconv.Itoa(sendRate),
		"-input-hz", strconv.Itoa(o.inputHz), "-json", "-quiet",
		"-joins-in-flight", "64"} // the server runs without per-client quotas
	args = append(args, o.tickbotArgs...)
	b := &bots{cmd: exec.Command("taskset", args...)}
	logf, err := os.Create(filepath.Join(o.keep, fmt.Sprintf("tickbot-%s-%d.log", s.mode, players)))
	if err != nil {
		return nil, err
	}
	b.cmd.Stdout, b.cmd.Stderr = &b.out, io.MultiWriter(logf, &b.log)
	return b, b.cmd.Start()
}

func (b *bots) wait() (tickbotSummary, error) {
	var s tickbotSummary
	err := b.cmd.Wait()
	if jerr := json.Unmarshal(b.out.Bytes(), &s); jerr != nil {
		return s, fmt.Errorf("tickbot: %v (exit: %v)", jerr, err)
	}
	s.LagP50, s.LagP99 = parseInputLag(b.log.String())
	return s, nil
}

// parseInputLag reads the input lag line of tickbot's human summary
// ("input lag  p50 X ms, p99 Y ms ..."); zeros when there is none.
func parseInputLag(summary string) (p50, p99 float64) {
	for line := range strings.SplitSeq(summary, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "input lag"); ok {
			fmt.Sscanf(strings.TrimSpace(rest), "p50 %g ms, p99 %g ms", &p50, &p99)
		}
	}
	return p50, p99
}

// sample is what a window's start and end are measured from.
type sample struct {
	at                    time.Time
	server, tickbot, busy float64 // CPU seconds
	metrics
}

func takeSample(s *server, b *bots) sample {
	return sample{at: time.Now(), server: procCPU(s.pid()), tickbot: procCPU(b.cmd.Process.Pid),
		busy: machineBusy(), metrics: scrapeMetrics(s.url)}
}

// waitQuiet waits, up to a limit, until the rest of the machine has used
// less than a quarter of a core for three seconds in a row: on a shared
// machine, other work on the two pinned CPUs makes ticks late and
// snapshots slow.
func waitQuiet(limit time.Duration) {
	quiet := 0
	for deadline := time.Now().Add(limit); quiet < 3; {
		b0 := machineBusy()
		time.Sleep(time.Second)
		busy := machineBusy() - b0
		if busy >= 0.25 {
			quiet = 0
		} else {
			quiet++
		}
		if quiet < 3 && time.Now().After(deadline) {
			log.Printf("the machine is still busy (%.2f cores); measuring anyway", busy)
			return
		}
	}
}

func measure(o options, mode string, players int) (result, error) {
	r := result{mode: mode, players: players}
	waitQuiet(o.quietWait)
	s, err := startServer(o, mode, false)
	if err != nil {
		return r, err
	}
	defer s.stop()
	b, err := startBots(o, s, players, o.behavior, o.tickRate, o.sendRate)
	if err != nil {
		return r, err
	}
	time.Sleep(o.ramp + o.settle)
	s0 := takeSample(s, b)
	time.Sleep(o.duration - o.ramp - o.settle - time.Second)
	s1 := takeSample(s, b)
	r.rssMB = procRSS(s.pid()) / (1 << 20)
	sum, err := b.wait()
	if err != nil {
		return r, err
	}
	secs := s1.at.Sub(s0.at).Seconds()
	r.cpu = (s1.server - s0.server) / secs
	r.tickbotCPU = (s1.tickbot - s0.tickbot) / secs
	r.otherCPU = max((s1.busy-s0.busy)/secs-r.cpu-r.tickbotCPU, 0)
	r.connected, r.disconnects = sum.Connected, sum.Disconnects
	r.delivered, r.bytesBot, r.gapP99ms, r.rttP99ms = sum.DeliveredRatio, sum.BytesPerBot, sum.GapP99, sum.RTTP99
	r.lagP50ms, r.lagP99ms = sum.LagP50, sum.LagP99
	r.lateP99ms = latenessP99(s0.late, s1.late) * 1000
	waiting := "n/a"
	if w := waitingShare(s0.backlog, s1.backlog); !math.IsNaN(w) {
		waiting = fmt.Sprintf("%.1f%%", 100*w)
	}
	log.Printf("%s %d players: cpu %.0f%%, delivered %.4f, late p99 %.2f ms, gap p99 %.1f ms, rtt p99 %.1f ms, input lag p50 %.1f p99 %.1f ms, inputs waiting a tick %s, %d disconnects, other load %.2f",
		mode, players, 100*r.cpu, r.delivered, r.lateP99ms, r.gapP99ms, r.rttP99ms, r.lagP50ms, r.lagP99ms, waiting, r.disconnects, r.otherCPU)
	return r, nil
}

// memory measures ΔRSS per connection with o.mem idle bots at 10 Hz (the
// lowest tick rate, so the one-core server keeps up while they connect),
// then, with the bots still connected, what the server holds: goroutines,
// stacks and the live heap (after a GC) from its -pprof-addr, and the top
// of the heap profile by in-use space.
func memory(o options) {
	type row struct {
		mode                   string
		connected              int
		before, with           float64 // RSS, bytes
		goroutines, goroutine0 int
		stack, heap            float64 // after the bots connected, bytes
		stack0, heap0          float64 // before
	}
	var rows []row
	var heapProfiles []string
	for _, mode := range o.modes {
		waitQuiet(o.quietWait)
		s, err := startServer(o, mode, true)
		if err != nil {
			log.Fatal(err)
		}
		time.Sleep(time.Second)
		r := row{mode: mode, before: procRSS(s.pid())}
		r.goroutine0 = goroutines(s.pprof)
		r.stack0, r.heap0 = memStats(s.pprof)
		b, err := startBots(o, s, o.mem, "idle", 10, 0)
		if err != nil {
			log.Fatal(err)
		}
		time.Sleep(o.ramp + o.settle)
		r.with = procRSS(s.pid())
		r.goroutines = goroutines(s.pprof)
		prof := filepath.Join(o.keep, mode+"-heap.pb.gz")
		if err := fetch(s.pprof+"/debug/pprof/heap?gc=1", prof); err != nil {
			log.Printf("%s: heap profile: %v", mode, err)
		} else {
			heapProfiles = append(heapProfiles, mode, prof)
		}
		r.stack, r.heap = memStats(s.pprof)
		sum, err := b.wait()
		s.stop()
		if err != nil {
			log.Fatal(err)
		}
		r.connected = sum.Connected
		rows = append(rows, r)
	}
	fmt.Printf("Idle bots in rooms of %d (-bots-per-room).\n\n", o.perRoom)
	fmt.Printf("| server | idle bots connected | RSS before (MB) | RSS with bots (MB) | ΔRSS per connection (KB) | goroutines per connection | Δstack per connection (KB) | Δlive heap per connection (KB) |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		n := float64(max(r.connected, 1))
		fmt.Printf("| %s | %d | %.1f | %.1f | %.1f | %.2f | %.1f | %.1f |\n", r.mode, r.connected, r.before/(1<<20), r.with/(1<<20),
			(r.with-r.before)/n/1024, float64(r.goroutines-r.goroutine0)/n, (r.stack-r.stack0)/n/1024, (r.heap-r.heap0)/n/1024)
	}
	for i := 0; i < len(heapProfiles); i += 2 {
		fmt.Printf("\n%s: live heap by allocation site (go tool pprof -sample_index=inuse_space -top)\n", heapProfiles[i])
		cmd := exec.Command("go", "tool", "pprof", "-sample_index=inuse_space", "-top", "-nodecount", "25",
			filepath.Join(o.bin, heapProfiles[i]), heapProfiles[i+1])
		cmd.Stdout, cmd.Stderr = os.Stdout, io.Discard
		cmd.Run()
	}
}

// drop connects o.drop idle bots to tickroom (rooms at 10 Hz, as in
// memory), and when tickbot exits at the end of -duration every connection
// closes at once. It prints the server's RSS before, at the peak while the
// bots were connected, and every few seconds for o.dropWatch after they
// left, with the server's count of memory releases (-release-memory-*).
func drop(o options) {
	waitQuiet(o.quietWait)
	s, err := startServer(o, "tickroom", false)
	if err != nil {
		log.Fatal(err)
	}
	defer s.stop()
	time.Sleep(time.Second)
	before := procRSS(s.pid())
	b, err := startBots(o, s, o.drop, "idle", 10, 0)
	if err != nil {
		log.Fatal(err)
	}
	ended := make(chan tickbotSummary, 1)
	go func() {
		sum, err := b.wait()
		if err != nil {
			log.Fatal(err)
		}
		ended <- sum
	}()
	peak := before
	var sum tickbotSummary
	for connected := true; connected; {
		select {
		case sum = <-ended:
			connected = false
		case <-time.After(time.Second):
			peak = max(peak, procRSS(s.pid()))
		}
	}
	left := time.Now()
	fmt.Printf("%d idle bots (%d per room) connected, then all left at once; server args %q\n\n", sum.Connected, o.perRoom, o.serverArgs)
	fmt.Printf("| when | RSS (MB) | memory releases |\n|---|---:|---:|\n")
	fmt.Printf("| before the bots | %.1f | |\n| peak with the bots | %.1f | |\n", before/(1<<20), peak/(1<<20))
	for _, at := range []time.Duration{0, time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 20 * time.Second,
		30 * time.Second, 60 * time.Second, 90 * time.Second, 100 * time.Second, 120 * time.Second, 150 * time.Second,
		180 * time.Second, 300 * time.Second} {
		if at > o.dropWatch {
			break
		}
		time.Sleep(time.Until(left.Add(at)))
		fmt.Printf("| %v after they left | %.1f | %.0f |\n", at, procRSS(s.pid())/(1<<20), scrapeMetrics(s.url).releases)
	}
}

// profile runs tickroom at one load and takes a CPU profile over the
// steady window from its -pprof-addr, then a heap profile while the bots
// still play, and prints the CPU profile's top entries.
func profile(o options) {
	waitQuiet(o.quietWait)
	s, err := startServer(o, "tickroom", true)
	if err != nil {
		log.Fatal(err)
	}
	defer s.stop()
	b, err := startBots(o, s, o.profile, o.behavior, o.tickRate, o.sendRate)
	if err != nil {
		log.Fatal(err)
	}
	time.Sleep(o.ramp + o.settle)
	secs := int((o.duration - o.ramp - o.settle - time.Second).Seconds())
	prof := filepath.Join(o.keep, "tickroom-cpu.pb.gz")
	perr := fetch(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", s.pprof, secs), prof)
	// While the bots still play: what the server holds for them.
	rss := procRSS(s.pid())
	n := goroutines(s.pprof)
	heap := filepath.Join(o.keep, "tickroom-heap.pb.gz")
	herr := fetch(s.pprof+"/debug/pprof/heap?gc=1", heap)
	stack, live := memStats(s.pprof)
	sum, err := b.wait()
	if err != nil {
		log.Fatal(err)
	}
	if perr != nil {
		log.Fatal(perr)
	}
	log.Printf("%d players, delivered %.4f; %d s profile in %s", sum.Connected, sum.DeliveredRatio, secs, prof)
	if herr == nil {
		log.Printf("while playing: RSS %.1f MB, %d goroutines, stacks %.1f MB, live heap %.1f MB; heap profile in %s",
			rss/(1<<20), n, stack/(1<<20), live/(1<<20), heap)
	}
	for _, args := range [][]string{{"-top", "-nodecount", "30"}, {"-top", "-cum", "-nodecount", "40"}} {
		cmd := exec.Command("go", append(append([]string{"tool", "pprof"}, args...), filepath.Join(o.bin, "tickroom"), prof)...)
		cmd.Stdout, cmd.Stderr = os.Stdout, io.Discard
		cmd.Run()
	}
}

// fetch saves what url answers in path.
func fetch(url, path string) error {
	c := http.Client{Timeout: 2 * time.Minute}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// goroutines is the server's goroutine count, from the first line of its
// goroutine profile ("goroutine profile: total N"); 0 when unknown.
func goroutines(pprofURL string) int {
	text := get(pprofURL + "/debug/pprof/goroutine?debug=1")
	var n int
	fmt.Sscanf(text, "goroutine profile: total %d", &n)
	return n
}

// memStats reads the stack in use and the live heap (HeapInuse) from the
// runtime.MemStats that the heap profile's text form ends with.
func memStats(pprofURL string) (stack, heap float64) {
	return parseMemStats(get(pprofURL + "/debug/pprof/heap?debug=1&gc=1"))
}

func parseMemStats(text string) (stack, heap float64) {
	for line := range strings.SplitSeq(text, "\n") {
		switch {
		case strings.HasPrefix(line, "# Stack = "):
			fmt.Sscanf(line, "# Stack = %g", &stack)
		case strings.HasPrefix(line, "# HeapInuse = "):
			fmt.Sscanf(line, "# HeapInuse = %g", &heap)
		}
	}
	return stack, heap
}

func get(url string) string {
	c := http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
