// Command tickroomprof is tickroom's lobby (rooms, sessions, REST API and
// /metrics) wired as cmd/tickroom wires it, without the web client and
// with a -cpuprofile flag, so the capacity benchmark can say where the
// server's time goes. cmd/tickroom has no profiling flag of its own.
//
//	go run ./bench/tickroomprof -addr 127.0.0.1:8091 -cpuprofile tickroom.prof
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/tickroom/tickroom/lobby"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8091", "listen address")
	profile := flag.String("cpuprofile", "", "write a CPU profile here until the process is interrupted")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	roomCtx, stopRooms := context.WithCancel(context.Background())
	defer stopRooms()
	reg := prometheus.NewRegistry()
	metrics := lobby.NewMetrics(reg)
	mgr := lobby.NewManager(roomCtx, lobby.Options{MaxRooms: 10000, Metrics: metrics}, nil, nil)
	api := lobby.NewAPI(roomCtx, mgr, lobby.APIOptions{Metrics: metrics, Limits: lobby.Limits{MaxConnsPerIP: -1}})
	mux := http.NewServeMux()
	mux.Handle("/api/", api.Handler())
	mux.Handle("/ws", api.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	hs := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	log.Printf("tickroomprof listening url=http://%s/", *addr)
	if err := hs.ListenAndServe(); err != http.ErrServerClosed {
		log.Print(err)
	}
}
