#!/usr/bin/env bash
# Certificates for releasegate without cert-manager: a CA, an ECDSA P-256
# serving certificate for the Service DNS names (and 127.0.0.1, localhost
# for local runs), the caBundle for the webhook configurations, and CA
# rotation with an overlap window.
#
# usage: certs/certs.sh COMMAND DIR
#   init         CA (if DIR has none) + serving certificate + caBundle
#   renew        new serving certificate from the current CA (caBundle unchanged)
#   rotate-begin new CA in DIR/next; caBundle trusts the current and the new CA
#   rotate-leaf  serving certificate from the new CA (apply only after the
#                rotate-begin caBundle is in every webhook configuration)
#   rotate-end   the new CA becomes the current one; caBundle trusts it alone
#
# DIR gets ca.crt, ca.key, tls.crt, tls.key, ca-bundle.crt and
# validating-ca-bundle.json and mutating-ca-bundle.json (the JSON patches
# that overlays/self-managed applies to the webhook configurations). Private keys are mode 600; never commit DIR.
#
# Lifetimes (override with CA_DAYS, LEAF_DAYS): the CA lives 10 years, the
# serving certificate 1 year. A leaf is never issued past its CA's expiry:
# users of other webhooks were locked out when a one-year CA expired under a
# still-valid leaf. The alert ReleasegateCertificateExpiring fires 30 days
# before the leaf expires; renew well before.
set -euo pipefail

ca_days=${CA_DAYS:-3650}
leaf_days=${LEAF_DAYS:-365}
service=${SERVICE:-releasegate}
namespace=${NAMESPACE:-releasegate-system}

usage() {
  sed -n '6,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
[ $# -eq 2 ] || usage
case "$1" in init | renew | rotate-begin | rotate-leaf | rotate-end) ;; *) usage ;; esac
command=$1
dir=$2
mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"

make_ca() {  # prefix: writes PREFIX.crt, PREFIX.key
  openssl ecparam -name prime256v1 -genkey -noout -out "$1.key.tmp" 2>/dev/null
  openssl req -x509 -new -key "$1.key.tmp" -sha256 -days "$ca_days" \
    -subj "/CN=releasegate CA $(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$1.crt.tmp"
  chmod 600 "$1.key.tmp"
  mv "$1.key.tmp" "$1.key"
  mv "$1.crt.tmp" "$1.crt"
}

make_leaf() {  # ca_prefix: writes tls.crt, tls.key signed by CA_PREFIX.{crt,key}
  local ca=$1
  # The leaf must expire before its CA (plus a day of margin).
  if ! openssl x509 -in "$ca.crt" -noout -checkend $(((leaf_days + 1) * 86400)) >/dev/null; then
    echo "certs.sh: $ca.crt expires within the $leaf_days-day leaf lifetime: rotate the CA first (rotate-begin)" >&2
    exit 1
  fi
  openssl ecparam -name prime256v1 -genkey -noout -out tls.key.tmp 2>/dev/null
  chmod 600 tls.key.tmp
  openssl req -new -key tls.key.tmp -subj "/CN=$service.$namespace.svc" -out tls.csr
  cat > leaf.ext <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:$service,DNS:$service.$namespace,DNS:$service.$namespace.svc,DNS:$service.$namespace.svc.cluster.local,DNS:localhost,IP:127.0.0.1
EXT
  openssl x509 -req -in tls.csr -CA "$ca.crt" -CAkey "$ca.key" -CAcreateserial -days "$leaf_days" -sha256 \
    -extfile leaf.ext -out tls.crt.tmp 2>/dev/null
  rm -f tls.csr leaf.ext "$ca.srl"
  # Replace the key and certificate together as far as renames allow; the
  # server keeps the previous pair if it ever reads a mismatched one.
  mv tls.key.tmp tls.key
  mv tls.crt.tmp tls.crt
}

write_bundle() {  # CA files to trust, in order
  cat "$@" > ca-bundle.crt
  local b64
  b64=$(base64 -w0 < ca-bundle.crt)
  # JSON patches for kustomize, one per webhook configuration: every entry
  # gets the bundle (the validating one has three entries, the mutating one).
  cat > validating-ca-bundle.json <<JSON
[
  {"op": "add", "path": "/webhooks/0/clientConfig/caBundle", "value": "$b64"},
  {"op": "add", "path": "/webhooks/1/clientConfig/caBundle", "value": "$b64"},
  {"op": "add", "path": "/webhooks/2/clientConfig/caBundle", "value": "$b64"}
]
JSON
  cat > mutating-ca-bundle.json <<JSON
[
  {"op": "add", "path": "/webhooks/0/clientConfig/caBundle", "value": "$b64"}
]
JSON
}

case "$command" in
  init)
    [ -f ca.crt ] && [ -f ca.key ] || make_ca ca
    make_leaf ca
    write_bundle ca.crt
    ;;
  renew)
    make_leaf ca
    ;;
  rotate-begin)
    mkdir -p next
    make_ca next/ca
    write_bundle ca.crt next/ca.crt
    ;;
  rotate-leaf)
    [ -f next/ca.crt ] || { echo "certs.sh: no rotation in progress (run rotate-begin)" >&2; exit 1; }
    make_leaf next/ca
    ;;
  rotate-end)
    [ -f next/ca.crt ] || { echo "certs.sh: no rotation in progress (run rotate-begin)" >&2; exit 1; }
    # The serving certificate must already come from the new CA.
    openssl verify -CAfile next/ca.crt tls.crt >/dev/null ||
      { echo "certs.sh: tls.crt is not signed by the new CA yet (run rotate-leaf and apply it)" >&2; exit 1; }
    mv next/ca.key ca.key
    mv next/ca.crt ca.crt
    rmdir next
    write_bundle ca.crt
    ;;
esac
echo "certs.sh $command: $(pwd): serving certificate $(openssl x509 -in tls.crt -noout -enddate 2>/dev/null || echo none)," \
  "caBundle trusts $(grep -c 'BEGIN CERTIFICATE' ca-bundle.crt 2>/dev/null || echo 0) CA(s)" >&2
