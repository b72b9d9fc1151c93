// Command go-baseline is the minimal validating admission webhook that real Go
// webhooks start from: net/http + crypto/tls + encoding/json into a generic map,
// allow everything. It is the yardstick releasegate is benchmarked against, so it
// deliberately does nothing beyond decode, read request.uid, and reply.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
)

func validate(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var review map[string]interface{}
	if err := json.NewDecoder(r.Body).Decode(&review); err != nil {
		http.Error(w, "bad AdmissionReview: "+err.Error(), http.StatusBadRequest)
		return
	}
	var uid interface{}
	if req, ok := review["request"].(map[string]interface{}); ok {
		uid = req["uid"]
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]interface{}{
		"apiVersion": "admission.k8s.io/v1",
		"kind":       "AdmissionReview",
		"response":   map[string]interface{}{"uid": uid, "allowed": true},
	})
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8444", "address to serve HTTPS on")
	cert := flag.String("tls-cert", "", "PEM certificate file")
	key := flag.String("tls-key", "", "PEM private key file")
	flag.Parse()
	if *cert == "" || *key == "" {
		log.Fatal("-tls-cert and -tls-key are required")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/validate", validate)
	log.Printf("go-baseline listening on https://%s/validate", *listen)
	log.Fatal(http.ListenAndServeTLS(*listen, *cert, *key, mux))
}
