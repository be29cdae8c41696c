#!/bin/sh
# Rebuild the schematic GPX sketches of the bundled seed courses from their places files.
#   sh courses/build.sh            (from the repository root, or from anywhere)
# The places files themselves were written by courses/make_places.py (see its docstring).
set -eu
cd "$(dirname "$0")"
for places in */*.places.toml; do
    gpx="${places%.places.toml}.gpx"
    coursekit sketch "$places" -o "$gpx"
done
