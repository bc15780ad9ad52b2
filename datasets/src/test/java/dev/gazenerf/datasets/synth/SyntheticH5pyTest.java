package dev.gazenerf.datasets.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gazenerf.datasets.h5.PythonH5py;
import dev.gazenerf.datasets.h5.SubjectData;
import dev.gazenerf.datasets.h5.SubjectFile;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A generated subject file reads in h5py as a reference file does (skips without h5py unless required). */
class SyntheticH5pyTest {
    @TempDir
    Path dir;

    @Test
    void generatedFilesReadInH5py() throws Exception {
        String python = PythonH5py.interpreterOrSkip();
        SynthSummary s = SyntheticDataset.generate(SynthConfig.defaults(1, 2, 16, 5), dir, null);
        Path file = s.subjectFiles().get(0);
        JsonNode dump = new ObjectMapper().readTree(PythonH5py.run(python, "dump_subject_file.py", file.toString()));
        assertEquals("uint8", dump.get("face_patch").get("dtype").asText());
        assertEquals("[2,16,16,3]", dump.get("face_patch").get("shape").toString());
        assertEquals("float64", dump.get("latent_codes").get("dtype").asText());
        assertEquals("[2,306]", dump.get("latent_codes").get("shape").toString());
        assertEquals("[2,68,2]", dump.get("facial_landmarks").get("shape").toString());
        SubjectData d;
        try (SubjectFile f = SubjectFile.open(file)) {
            d = f.readAll();
        }
        JsonNode face = dump.get("face_patch").get("values");
        for (int i = 0; i < d.facePatch().length; i++) {
            assertEquals(d.facePatch()[i] & 0xff, face.get(i).asInt());
        }
        for (String key : new String[] {"head_mask", "left_eye_mask", "right_eye_mask"}) {
            assertEquals("uint8", dump.get(key).get("dtype").asText());
            for (JsonNode v : dump.get(key).get("values")) {
                assertTrue(v.asInt() == 0 || v.asInt() == 255, key + " holds " + v);
            }
        }
    }
}
