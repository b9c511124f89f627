#!/usr/bin/env bash
# Builds zerocopy, publishes it to ~/.m2 and runs the consumer example against it.
set -euo pipefail
cd "$(dirname "$0")/.."
gradle --no-daemon -q publishToMavenLocal
cd examples/gradle-consumer && gradle --no-daemon -q runExample
