// Command podserve answers for the local control plane's pods, which kwok runs without
// processes. Traefik reaches pod IPs through it (HTTP_PROXY=socks5://podserve: the API server
// refuses loopback endpoints, so pods get kwok's 10.244/16 IPs that nothing on the machine
// holds). A connection to podIP:port is refused unless a Running pod declares that container
// port; if one does, the pod's app answers: its revision (pod-template hash) in the X-Revision
// header and the body, and the behaviour its container's env asks for, FAIL_PERCENT (share of
// 500s, spread evenly) and LATENCY_MS. It forwards nothing and listens on loopback only.
//
//	podserve --kubeconfig FILE --listen 127.0.0.1:PORT [--drain 2s]
//	curl http://127.0.0.1:PORT/counts     # requests and failures per pod
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster whose pods to answer for")
	listen := flag.String("listen", "127.0.0.1:0", "loopback address to listen on")
	drain := flag.Duration("drain", 2*time.Second, "how long a deleted pod keeps answering")
	flag.Parse()
	if err := run(*kubeconfig, *listen, *drain); err != nil {
		log.Fatalf("podserve: %v", err)
	}
}

func run(kubeconfig, listen string, drain time.Duration) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", listen, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--listen %q: podserve listens on loopback addresses only", listen)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("clientset: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	pods := newPodIndex(drain)
	factory := informers.NewSharedInformerFactory(cs, 0)
	informer := factory.Core().V1().Pods().Informer()
	if _, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { observePod(pods, obj) },
		UpdateFunc: func(_, obj any) { observePod(pods, obj) },
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			if pod, ok := obj.(*corev1.Pod); ok {
				pods.forget(pod)
			}
		},
	}); err != nil {
		return fmt.Errorf("pod informer: %w", err)
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), informer.HasSynced) {
		return errors.New("pod informer did not sync")
	}

	l, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	has := func(t target) bool { _, ok := pods.find(t.IP, t.Port); return ok }
	front := newFrontListener(l, has)
	srv := &http.Server{
		Handler:           newServer(pods.find),
		ConnContext:       connContext,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      maxLatency + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	log.Printf("podserve: answering for pods on %s (drain %s)", l.Addr(), drain)
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(front); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func observePod(pods *podIndex, obj any) {
	if pod, ok := obj.(*corev1.Pod); ok {
		pods.observe(pod)
	}
}
