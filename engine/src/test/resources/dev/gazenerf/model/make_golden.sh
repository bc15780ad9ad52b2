#!/bin/sh
# Regenerates the golden fixture of GazeNerfModelGoldenTest (run from the repository root after
# `mvn -o -pl engine test-compile`): the inputs from GoldenFixture (Java), the expected outputs and gradients
# from tools/golden/gazenerf_reference.py (Debian's PyTorch, float64).
set -e
here=engine/src/test/resources/dev/gazenerf/model
cp=engine/target/test-classes:engine/target/classes:$(find ~/.m2/repository/com/fasterxml/jackson/core -name '*2.18.2.jar' | tr '\n' ':')
java -cp "$cp" dev.gazenerf.model.GoldenFixture "$here/golden_inputs.safetensors"
/usr/bin/python3 tools/golden/gazenerf_reference.py "$here/golden_inputs.safetensors" "$here/golden_expected.safetensors"
