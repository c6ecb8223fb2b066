#!/bin/sh
# Builds the JAX-WS client from nothing but the served WSDL, as a Java shop would:
#   build.sh <WSDL URL> <build directory>   ->   java -cp "$(build.sh ...)" Client
# Debian: jaxws (wsimport and the JAX-WS RI, whose jar's manifest names the rest) on the JDK.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
url=$1
out=$2
mkdir -p "$out/src" "$out/classes"
# --- guide: build ---
classpath=/usr/share/java/jaxws-rt.jar:/usr/share/java/javax.activation.jar
wsimport -quiet -Xnocompile -p gw -s "$out/src" "$url"
javac -nowarn -encoding UTF-8 -cp "$classpath" -d "$out/classes" "$out"/src/gw/*.java "$here/Client.java"
# --- end ---
echo "$out/classes:$classpath"
