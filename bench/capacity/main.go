// Command capacity runs the capacity benchmark that bench/capacity.sh
// builds and starts: for each load it starts a server pinned to CPU 0 and
// tickbot pinned to CPU 1, lets the bots connect, and measures the server
// over a steady window: CPU (from /proc/PID/stat), RSS, delivered ratio,
// bytes per bot per second, p99 tick lateness (from /metrics when the
// server exports tickroom_tick_lateness_seconds) and player-ticks per
// server-core-second. Each load runs against the bare floor server and
// against tickroom, so the overhead above the floor is visible. See
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
	bin         string // directory with tickroom, tickbot, floor, tickroomprof
	modes       []string
	loads       []int
	step, max   int
	duration    time.Duration
	ramp        time.Duration
	settle      time.Duration
	behavior    string
	perRoom     int
	tickRate    int
	inputHz     int
	serverArgs  []string
	tickbotArgs []string
	mem         int
	profile     int
	keep        string
	quietWait   time.Duration
}

func main() {
	var o options
	var modes, loads, serverArgs, tickbotArgs string
	flag.StringVar(&o.bin, "bin", "", "directory holding the tickroom, tickbot, floor and tickroomprof binaries")
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
	flag.IntVar(&o.inputHz, "input-hz", 30, "tickbot -input-hz")
	flag.StringVar(&serverArgs, "server-args", "", "extra tickroom flags (space-separated)")
	flag.StringVar(&tickbotArgs, "tickbot-args", "", "extra tickbot flags (space-separated)")
	flag.IntVar(&o.mem, "mem", 0, "instead: memory per connection with this many idle bots")
	flag.IntVar(&o.profile, "profile", 0, "instead: CPU profile of tickroom's lobby at this load")
	flag.DurationVar(&o.quietWait, "quiet-wait", 2*time.Minute, "before each step, wait up to this long for the rest of the machine to go idle")
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
	}
	switch {
	case o.mem > 0:
		memory(o)
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
	fmt.Printf("| server | players | server CPU (%% of a core) | RSS (MB) | delivered | bytes/bot/s | p99 tick lateness (ms) | p99 snapshot gap (ms) | player-ticks per core-second | tickbot CPU | other load (cores) |\n")
	fmt.Printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
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
			r, err := measure(o, mode, players)
			if err != nil {
				log.Printf("%s at %d players: %v", mode, players, err)
				failed[mode] = true
				continue
			}
			if !r.passed() {
				failed[mode] = true
			}
			printRow(r, o.tickRate)
		}
	}
}

func printRow(r result, tickRate int) {
	late := "n/a"
	if !math.IsNaN(r.lateP99ms) {
		late = fmt.Sprintf("%.2f", r.lateP99ms)
	}
	fmt.Printf("| %s | %d | %.0f | %.0f | %.4f | %.0f | %s | %.1f | %.0f | %.0f%% | %.2f |\n",
		r.mode, r.connected, 100*r.cpu, r.rssMB, r.delivered, r.bytesBot, late, r.gapP99ms,
		r.playerTicksPerCoreSec(tickRate), 100*r.tickbotCPU, r.otherCPU)
}

// server is a running server process.
type server struct {
	cmd  *exec.Cmd
	url  string
	mode string
}

func startServer(o options, mode string, extra ...string) (*server, error) {
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
		bin := filepath.Join(o.bin, "tickroom")
		args = append([]string{bin, "-addr", addr, "-default-room", "", "-log-level", "warn", "-max-rooms", "10000"}, tickroomLimits(bin)...)
		args = append(args, o.serverArgs...)
	case "tickroomprof":
		args = append([]string{filepath.Join(o.bin, "tickroomprof"), "-addr", addr}, extra...)
	default:
		return nil, fmt.Errorf("unknown mode %q", mode)
	}
	logf, err := os.Create(filepath.Join(o.keep, mode+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("taskset", append([]string{"-c", "0"}, args...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, url: "http://" + addr, mode: mode}
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

// tickroomLimits lifts tickroom's per-address connection cap, which would
// refuse a load generator on one address, when the binary has it.
func tickroomLimits(bin string) []string {
	out, _ := exec.Command(bin, "-help").CombinedOutput()
	if bytes.Contains(out, []byte("-max-conns-per-ip")) {
		return []string{"-max-conns-per-ip", "-1"}
	}
	return nil
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
}

// bots is a running tickbot.
type bots struct {
	cmd *exec.Cmd
	out bytes.Buffer
}

func startBots(o options, url string, players int, behavior string, tickRate int, extra ...string) (*bots, error) {
	rooms := (players + o.perRoom - 1) / o.perRoom
	args := []string{"-c", "1", filepath.Join(o.bin, "tickbot"), "-server", url, "-rooms", strconv.Itoa(rooms),
		"-bots-per-room", strconv.Itoa(o.perRoom), "-behavior", behavior, "-duration", o.duration.String(),
		"-ramp", o.ramp.String(), "-tick-rate", strconv.Itoa(tickRate), "-input-hz", strconv.Itoa(o.inputHz),
		"-json", "-quiet"}
	args = append(append(args, o.tickbotArgs...), extra...)
	b := &bots{cmd: exec.Command("taskset", args...)}
	logf, err := os.Create(filepath.Join(o.keep, fmt.Sprintf("tickbot-%d.log", players)))
	if err != nil {
		return nil, err
	}
	b.cmd.Stdout, b.cmd.Stderr = &b.out, logf
	return b, b.cmd.Start()
}

func (b *bots) wait() (tickbotSummary, error) {
	var s tickbotSummary
	err := b.cmd.Wait()
	if jerr := json.Unmarshal(b.out.Bytes(), &s); jerr != nil {
		return s, fmt.Errorf("tickbot: %v (exit: %v)", jerr, err)
	}
	return s, nil
}

// sample is what a window's start and end are measured from.
type sample struct {
	at                    time.Time
	server, tickbot, busy float64 // CPU seconds
	late                  map[float64]float64
}

func takeSample(s *server, b *bots) sample {
	return sample{at: time.Now(), server: procCPU(s.pid()), tickbot: procCPU(b.cmd.Process.Pid),
		busy: machineBusy(), late: scrapeLateness(s.url)}
}

// waitQuiet waits, up to a limit, until the rest of the machine uses less
// than a quarter of a core: on a shared machine, other work on the two
// pinned CPUs makes ticks late and snapshots slow.
func waitQuiet(limit time.Duration) {
	for deadline := time.Now().Add(limit); ; {
		b0 := machineBusy()
		time.Sleep(time.Second)
		busy := machineBusy() - b0
		if busy < 0.25 {
			return
		}
		if time.Now().After(deadline) {
			log.Printf("the machine is still busy (%.2f cores); measuring anyway", busy)
			return
		}
	}
}

func measure(o options, mode string, players int) (result, error) {
	r := result{mode: mode, players: players}
	waitQuiet(o.quietWait)
	s, err := startServer(o, mode)
	if err != nil {
		return r, err
	}
	defer s.stop()
	b, err := startBots(o, s.url, players, o.behavior, o.tickRate)
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
	r.lateP99ms = latenessP99(s0.late, s1.late) * 1000
	log.Printf("%s %d players: cpu %.0f%%, delivered %.4f, late p99 %.2f ms, gap p99 %.1f ms, rtt p99 %.1f ms, %d disconnects",
		mode, players, 100*r.cpu, r.delivered, r.lateP99ms, r.gapP99ms, r.rttP99ms, r.disconnects)
	return r, nil
}

// memory measures ΔRSS per connection with o.mem idle bots at 10 Hz (the
// lowest tick rate, so the one-core server keeps up while they connect).
func memory(o options) {
	fmt.Printf("| server | idle bots connected | RSS before (MB) | RSS with bots (MB) | ΔRSS per connection (KB) |\n|---|---:|---:|---:|---:|\n")
	for _, mode := range o.modes {
		s, err := startServer(o, mode)
		if err != nil {
			log.Fatal(err)
		}
		time.Sleep(time.Second)
		before := procRSS(s.pid())
		b, err := startBots(o, s.url, o.mem, "idle", 10)
		if err != nil {
			log.Fatal(err)
		}
		time.Sleep(o.ramp + o.settle)
		with := procRSS(s.pid())
		sum, err := b.wait()
		s.stop()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("| %s | %d | %.1f | %.1f | %.1f |\n", mode, sum.Connected, before/(1<<20), with/(1<<20),
			(with-before)/float64(max(sum.Connected, 1))/1024)
	}
}

// profile runs tickroom's lobby with a CPU profile at one load and prints
// the profile's top entries.
func profile(o options) {
	prof := filepath.Join(o.keep, "tickroom.prof")
	s, err := startServer(o, "tickroomprof", "-cpuprofile", prof)
	if err != nil {
		log.Fatal(err)
	}
	b, err := startBots(o, s.url, o.profile, o.behavior, o.tickRate)
	if err != nil {
		log.Fatal(err)
	}
	sum, err := b.wait()
	s.stop()
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("%d players, delivered %.4f; profile in %s", sum.Connected, sum.DeliveredRatio, prof)
	for _, args := range [][]string{{"-top", "-nodecount", "30"}, {"-top", "-cum", "-nodecount", "30"}} {
		cmd := exec.Command("go", append(append([]string{"tool", "pprof"}, args...), filepath.Join(o.bin, "tickroomprof"), prof)...)
		cmd.Stdout, cmd.Stderr = os.Stdout, io.Discard
		cmd.Run()
	}
}
