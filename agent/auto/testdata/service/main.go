// Command service is a small program that imports agent/auto and nothing
// else of heapdiff's, for auto's tests to run as a real process:
//
//	service -handle          handles SIGTERM and SIGINT itself: drains for
//	                         -drain, says "drained" and returns from main
//	                         (exit 0)
//	service -handle -close   also calls auto.Close after draining
//	service                  handles nothing: the signals' default applies
//
// It prints "ready" on standard output once its handler (if any) is set.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/heapdiff/heapdiff/agent/auto"
)

var kept [][]byte // what the service holds, so its heap is not empty

func main() {
	handle := flag.Bool("handle", false, "handle SIGTERM and SIGINT with a graceful shutdown")
	closeAgent := flag.Bool("close", false, "call auto.Close in the shutdown path")
	drain := flag.Duration("drain", 300*time.Millisecond, "how long the graceful shutdown takes")
	flag.Parse()
	for range 64 {
		kept = append(kept, make([]byte, 64<<10))
	}
	if !*handle {
		fmt.Println("ready")
		time.Sleep(time.Hour)
		return
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	fmt.Println("ready")
	sig := <-stop
	fmt.Fprintln(os.Stderr, "service: draining after", sig)
	time.Sleep(*drain)
	kept = nil
	if *closeAgent {
		auto.Close()
	}
	fmt.Fprintln(os.Stderr, "service: drained")
}
