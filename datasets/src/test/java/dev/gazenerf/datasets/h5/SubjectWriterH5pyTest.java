package dev.gazenerf.datasets.h5;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files we write read back in h5py exactly as the reference's do: uint8 images and masks (values 0..255,
 * not negative int8), uint8 indices, float64 elsewhere, with the reference shapes. Needs Debian's
 * python3-h5py: skips with a reason without it, fails with -Dgazenerf.python.required=true.
 */
class SubjectWriterH5pyTest {
    @TempDir
    Path dir;

    @Test
    void h5pyReadsEveryKeyWithTheReferenceDtypesAndValues() throws Exception {
        String python = PythonH5py.interpreterOrSkip();
        int n = 2;
        int h = 9;
        int w = 8;
        SubjectData data = TestSubjects.random(n, h, w, 21);
        Path file = dir.resolve("xgaze_subject0003.h5");
        SubjectWriter.write(file, data);
        JsonNode dump = new ObjectMapper().readTree(PythonH5py.run(python, "dump_subject_file.py", file.toString()));
        assertEquals(SubjectFormat.KEYS.size(), dump.size(), "every key is present: " + dump.fieldNames());
        for (SubjectFormat.Key key : SubjectFormat.KEYS) {
            JsonNode k = dump.get(key.name());
            String expectedType = key.kind() == SubjectFormat.Kind.FLOAT ? "float64" : "uint8";
            assertEquals(expectedType, k.get("dtype").asText(), key.name());
            JsonNode shape = k.get("shape");
            assertEquals(n, shape.get(0).asInt(), key.name());
            for (int i = 0; i < key.rowShape().length; i++) {
                int d = key.rowShape()[i];
                assertEquals(d == SubjectFormat.H ? h : d == SubjectFormat.W ? w : d, shape.get(i + 1).asInt(), key.name());
            }
            Object flat = data.array(key);
            JsonNode values = k.get("values");
            int len = java.lang.reflect.Array.getLength(flat);
            assertEquals(len, values.size(), key.name());
            for (int i = 0; i < len; i++) {
                if (flat instanceof byte[] b) {
                    assertEquals(b[i] & 0xff, values.get(i).asInt(), key.name() + "[" + i + "]");
                } else if (flat instanceof int[] a) {
                    assertEquals(a[i], values.get(i).asInt(), key.name() + "[" + i + "]");
                } else {
                    assertEquals(((double[]) flat)[i], values.get(i).asDouble(), 0.0, key.name() + "[" + i + "]");
                }
            }
        }
    }
}
