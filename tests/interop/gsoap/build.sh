#!/bin/sh
# Builds the gSOAP client from nothing but the served WSDL, as a C++ shop would:
#   build.sh <WSDL URL> <build directory>   ->   <build directory>/client
# Debian: gsoap libgsoap-dev (wsdl2h, soapcpp2, the runtime) and g++; WS-Security is gSOAP's
# wsse plugin (its sources ship with the gsoap package), linked against OpenSSL.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
url=$1
out=$2
mkdir -p "$out"
cd "$out"
# --- guide: build ---
# wsdl2h's own typemap, plus the one line that adds the WS-Security header to the client.
{ cat /usr/share/gsoap/WS/typemap.dat; printf '[\n#import "wsse.h"\n]\n'; } > typemap.dat
wsdl2h -t typemap.dat -o gateway.h "$url"
soapcpp2 -j -C -x -I/usr/share/gsoap/import:/usr/share/gsoap gateway.h
g++ -O0 $(pkg-config --cflags gsoapssl++) -I. -I/usr/share/gsoap -o client "$here/client.cpp" \
    soapC.cpp soapReservationGatewayProxy.cpp /usr/share/gsoap/plugin/wsseapi.cpp \
    /usr/share/gsoap/plugin/smdevp.c /usr/share/gsoap/plugin/mecevp.c \
    /usr/share/gsoap/custom/struct_timeval.c \
    $(pkg-config --libs gsoapssl++) -lssl -lcrypto -lz
# --- end ---
