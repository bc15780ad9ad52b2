#!/bin/sh
# Regenerates the golden fixture of GazeNerfModelGoldenTest (run from the repository root after
# `mvn -o -pl engine test-compile`): the inputs from GoldenFixture (Java), the expected outputs and gradients
# from tools/golden/gazenerf_reference.py (Debian's PyTorch, float64).
#
# That script (as of main d875d3d) pads the transmittance product with F.pad's default value 0, so every
# transmittance, hence every weight, is 0 and the NeRF streams vanish (merge_img_face equals bg_img). The
# reference's CalcRayColor pads with value=1.0 (T_0 = 1, section 2.5). Until the script is fixed, a patched
# copy is run; once fixed, it is run as is.
set -e
here=engine/src/test/resources/dev/gazenerf/model
src=tools/golden/gazenerf_reference.py
tmp=$(mktemp -d)
if grep -q 'F.pad(1.0 - alpha + 1e-10, \[1, 0\])' "$src"; then
  sed 's/F.pad(1.0 - alpha + 1e-10, \[1, 0\])/F.pad(1.0 - alpha + 1e-10, [1, 0], value=1.0)/' "$src" > "$tmp/gazenerf_reference.py"
else
  cp "$src" "$tmp/gazenerf_reference.py"
fi
cp=engine/target/test-classes:engine/target/classes:$(find ~/.m2/repository/com/fasterxml/jackson/core -name '*2.18.2.jar' | tr '\n' ':')
java -cp "$cp" dev.gazenerf.model.GoldenFixture "$here/golden_inputs.safetensors"
/usr/bin/python3 "$tmp/gazenerf_reference.py" "$here/golden_inputs.safetensors" "$here/golden_expected.safetensors"
rm -r "$tmp"
