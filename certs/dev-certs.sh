#!/usr/bin/env bash
# Makes a development CA and an ECDSA P-256 serving certificate for running
# releasegate locally (and for the in-cluster Service names), under OUT_DIR
# (default certs/dev, git-ignored). Keys never leave that folder.
#
# usage: certs/dev-certs.sh [OUT_DIR]
# Reuses existing files while the serving certificate is valid for 7 more days.
set -euo pipefail

out=${1:-"$(dirname "$0")/dev"}
mkdir -p "$out"
chmod 700 "$out"
cd "$out"

if [ -f tls.crt ] && [ -f tls.key ] && [ -f ca.crt ] && openssl x509 -in tls.crt -noout -checkend 604800 >/dev/null; then
  exit 0
fi

# Lifetimes: the CA outlives every leaf it signs by years, so a leaf is never
# valid under an expired CA (the trap that locked users of other webhooks out).
ca_days=3650
leaf_days=90
service=releasegate
namespace=releasegate-system

openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
openssl req -x509 -new -key ca.key -sha256 -days "$ca_days" -subj "/CN=releasegate development CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt

openssl ecparam -name prime256v1 -genkey -noout -out tls.key 2>/dev/null
openssl req -new -key tls.key -subj "/CN=$service.$namespace.svc" -out tls.csr
cat > leaf.ext <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:$service,DNS:$service.$namespace,DNS:$service.$namespace.svc,DNS:$service.$namespace.svc.cluster.local
EXT
openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days "$leaf_days" -sha256 \
  -extfile leaf.ext -out tls.crt 2>/dev/null
rm -f tls.csr leaf.ext ca.srl
chmod 600 ca.key tls.key
echo "dev certificates in $(pwd): ca.crt, tls.crt, tls.key" >&2
