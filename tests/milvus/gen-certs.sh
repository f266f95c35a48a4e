#!/usr/bin/env bash
# Test certificates for the real-Milvus TLS modes. Idempotent: keeps a complete, valid set.
#
#   tests/milvus/gen-certs.sh DIR
#
# Writes into DIR (created when missing), all PEM, keys unencrypted PKCS#8:
#   ca.pem ca.key             test CA (CN=milvus-conn test CA)
#   server.pem server.key     server cert signed by the CA, CN=localhost,
#                             SAN DNS:localhost, IP:127.0.0.1, EKU serverAuth
#   client.pem client.key     client cert signed by the CA, CN=milvus-conn test client, EKU clientAuth
#   other-ca.pem other-ca.key a second CA that signed nothing here (for "wrong CA" tests)
# Every certificate is X.509 v3 with basicConstraints/keyUsage set, as rustls/webpki requires.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
command -v openssl >/dev/null 2>&1 || { echo "gen-certs.sh: openssl is missing (run setup.sh)" >&2; exit 1; }
DIR=$1
mkdir -p "$DIR"
cd "$DIR"

FILES=(ca.pem ca.key server.pem server.key client.pem client.key other-ca.pem other-ca.key)
complete=1
for f in "${FILES[@]}"; do [ -s "$f" ] || complete=0; done
if [ $complete = 1 ] \
  && openssl verify -CAfile ca.pem server.pem client.pem >/dev/null 2>&1 \
  && openssl x509 -checkend 86400 -noout -in server.pem >/dev/null 2>&1 \
  && openssl x509 -checkend 86400 -noout -in client.pem >/dev/null 2>&1; then
  echo "gen-certs.sh: certificates already in $PWD" >&2
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
DAYS=3650

ca() { # NAME CN
  openssl req -x509 -newkey rsa:2048 -nodes -days $DAYS -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$tmp/$1.key" -out "$tmp/$1.pem" 2>/dev/null
}
leaf() { # NAME CN EXTENSIONS
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "$3" \
    > "$tmp/$1.ext"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$tmp/$1.key" -out "$tmp/$1.csr" 2>/dev/null
  openssl x509 -req -in "$tmp/$1.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days $DAYS -extfile "$tmp/$1.ext" -out "$tmp/$1.pem" 2>/dev/null
}

ca ca "milvus-conn test CA"
ca other-ca "milvus-conn other test CA"
leaf server localhost "$(printf '%s\n' 'extendedKeyUsage=serverAuth' 'subjectAltName=DNS:localhost,IP:127.0.0.1')"
leaf client "milvus-conn test client" "extendedKeyUsage=clientAuth"
openssl verify -CAfile "$tmp/ca.pem" "$tmp/server.pem" "$tmp/client.pem" >/dev/null

for f in "${FILES[@]}"; do
  case "$f" in *.key) chmod 600 "$tmp/$f";; *) chmod 644 "$tmp/$f";; esac
  mv -f "$tmp/$f" "$f"
done
echo "gen-certs.sh: wrote ${FILES[*]} to $PWD" >&2
