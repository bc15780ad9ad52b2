package dev.gazenerf.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gazenerf.nn.GradientChecker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The neural renderer's pieces (reference 2.7): pixel shuffle, channel-repeat residual, bilinear x2
 * (align_corners=False) and the reflect-border blur. Literal cases, PyTorch fixtures
 * ({@code render_fixtures.json}, made by {@code make_fixtures.py}), finite differences, parity.
 */
class RendererPiecesTest {
    private static final ScalarRenderKernels SCALAR = new ScalarRenderKernels();
    private static final ParallelRenderKernels PARALLEL = new ParallelRenderKernels(3);

    @AfterAll
    static void close() {
        PARALLEL.close();
    }

    static JsonNode fixtures() throws IOException {
        try (InputStream in = RendererPiecesTest.class.getResourceAsStream("render_fixtures.json")) {
            if (in == null) {
                throw new IOException("render_fixtures.json is missing from the test resources");
            }
            return new ObjectMapper().readTree(in);
        }
    }

    static float[] floats(JsonNode array) {
        float[] a = new float[array.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) array.get(i).asDouble();
        }
        return a;
    }

    private static int[] shape(JsonNode node) {
        int[] s = new int[4];
        for (int i = 0; i < 4; i++) {
            s[i] = node.get("shape").get(i).asInt();
        }
        return s;
    }

    // ------------------------------------------------------------ pixel shuffle

    @Test
    void pixelShuffleLiteral() {
        // One pixel of 8 channels (C = 2): out[c, i, j] = in[4c + 2i + j].
        float[] in = {0, 1, 2, 3, 10, 11, 12, 13};
        float[] out = new float[8];
        SCALAR.pixelShuffleForward(out, in, 1, 1, 1, 2);
        // channels-last (2, 2, 2): pixel (0,0) = (0, 10), (0,1) = (1, 11), (1,0) = (2, 12), (1,1) = (3, 13)
        assertArrayEquals(new float[] {0, 10, 1, 11, 2, 12, 3, 13}, out);
        float[] dIn = new float[8];
        SCALAR.pixelShuffleBackward(dIn, out, 1, 1, 1, 2, false);
        assertArrayEquals(in, dIn);
    }

    @Test
    void pixelShuffleMatchesPyTorch() throws IOException {
        JsonNode f = fixtures().get("pixel_shuffle");
        int[] s = shape(f);   // (1, 8, 2, 3)
        float[] in = RenderTestData.nchwToNhwc(floats(f.get("x")), s[0], s[1], s[2], s[3]);
        float[] expected = RenderTestData.nchwToNhwc(floats(f.get("y")), 1, s[1] / 4, 2 * s[2], 2 * s[3]);
        for (RenderKernels k : new RenderKernels[] {SCALAR, PARALLEL}) {
            float[] out = new float[expected.length];
            k.pixelShuffleForward(out, in, 1, s[2], s[3], s[1] / 4);
            RenderTestData.assertSame("pixel_shuffle", expected, out);
        }
    }

    // ------------------------------------------------------------ repeat residual

    @Test
    void repeatAddLiteral() {
        float[] y = {0, 1, 2, 3, 4, 5, 6, 7};
        float[] x = {-1, 10, 20};   // at offset 1
        for (RenderKernels k : new RenderKernels[] {SCALAR, PARALLEL}) {
            float[] out = new float[8];
            k.repeatAddForward(out, y, x, 1, 1, 2, 4);
            assertArrayEquals(new float[] {10, 21, 12, 23, 14, 25, 16, 27}, out);
            float[] dX = {5, 100, 100};
            k.repeatAddBackward(dX, 1, new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 1, 2, 4, false);
            assertArrayEquals(new float[] {5, 16, 20}, dX);
            float[] inPlace = y.clone();
            k.repeatAddForward(inPlace, inPlace, x, 1, 1, 2, 4);
            assertArrayEquals(out, inPlace);
        }
    }

    // ------------------------------------------------------------ bilinear

    @Test
    void bilinearLiteralRow() {
        // One row [0, 4]: sources 0 (clamped), 0.25, 0.75, 1.25 (upper neighbour clamped) -> 0, 1, 3, 4;
        // rows are duplicated (a single input row).
        float[] out = new float[8];
        SCALAR.upsampleForward(out, new float[] {0, 4}, 1, 1, 2, 1);
        assertArrayEquals(new float[] {0, 1, 3, 4, 0, 1, 3, 4}, out);
    }

    @Test
    void bilinearMatchesPyTorch() throws IOException {
        JsonNode f = fixtures().get("bilinear");
        int[] s = shape(f);   // (1, 2, 3, 4)
        int c = s[1];
        int h = s[2];
        int w = s[3];
        float[] x = RenderTestData.nchwToNhwc(floats(f.get("x")), 1, c, h, w);
        float[] y = RenderTestData.nchwToNhwc(floats(f.get("y")), 1, c, 2 * h, 2 * w);
        float[] dy = RenderTestData.nchwToNhwc(floats(f.get("dy")), 1, c, 2 * h, 2 * w);
        float[] dx = RenderTestData.nchwToNhwc(floats(f.get("dx")), 1, c, h, w);
        for (RenderKernels k : new RenderKernels[] {SCALAR, PARALLEL}) {
            float[] out = new float[y.length];
            k.upsampleForward(out, x, 1, h, w, c);
            // Measured worst |ours - torch|: 1.2e-7 forward, 2.4e-7 backward (rounding order); tolerances 3e-7, 5e-7.
            System.out.println("bilinear y" + " worst " + RenderTestData.assertClose("bilinear y", y, out, 3e-7, 0));
            float[] dIn = new float[x.length];
            k.upsampleBackward(dIn, dy, 1, h, w, c, false);
            System.out.println("bilinear dx" + " worst " + RenderTestData.assertClose("bilinear dx", dx, dIn, 5e-7, 0));
        }
    }

    // ------------------------------------------------------------ blur

    @Test
    void blurOfACornerImpulse() {
        // 3x3 single channel, 16 at (0,0). Reflect: row -1 reads row 1, so (0,0) is seen only through its
        // own taps: out = [[4,2,0],[2,1,0],[0,0,0]].
        float[] in = new float[9];
        in[0] = 16;
        float[] out = new float[9];
        SCALAR.blurForward(out, in, 1, 3, 3, 1);
        assertArrayEquals(new float[] {4, 2, 0, 2, 1, 0, 0, 0, 0}, out);
        // The adjoint with dOut = 1 everywhere: dIn(i, j) is the total weight of input (i, j) in all outputs.
        float[] ones = {1, 1, 1, 1, 1, 1, 1, 1, 1};
        float[] dIn = new float[9];
        SCALAR.blurBackward(dIn, ones, 1, 3, 3, 1, false);
        // rows: weight of input row i in the sum over output rows of [1,2,1] taps with reflection:
        // row 0: 2 (from out 0) + 1 (from out 1) = 3; row 1: 2 (out 0, reflected twice) + 2 (out 1) + 2 (out 2) = 6;
        // row 2: 1 + 2 = 3; so dIn = r r^T / 16 with r = (3, 6, 3).
        assertArrayEquals(new float[] {9f / 16, 18f / 16, 9f / 16, 18f / 16, 36f / 16, 18f / 16, 9f / 16, 18f / 16, 9f / 16},
                dIn, 1e-7f);
    }

    @Test
    void blurMatchesPyTorch() throws IOException {
        JsonNode f = fixtures().get("blur");
        int[] s = shape(f);   // (1, 2, 4, 5)
        int c = s[1];
        int h = s[2];
        int w = s[3];
        float[] x = RenderTestData.nchwToNhwc(floats(f.get("x")), 1, c, h, w);
        float[] y = RenderTestData.nchwToNhwc(floats(f.get("y")), 1, c, h, w);
        float[] dy = RenderTestData.nchwToNhwc(floats(f.get("dy")), 1, c, h, w);
        float[] dx = RenderTestData.nchwToNhwc(floats(f.get("dx")), 1, c, h, w);
        for (RenderKernels k : new RenderKernels[] {SCALAR, PARALLEL}) {
            float[] out = new float[y.length];
            k.blurForward(out, x, 1, h, w, c);
            // Measured worst |ours - torch|: 0 forward, 1.2e-7 backward; tolerances 1e-7 and 3e-7.
            System.out.println("blur y" + " worst " + RenderTestData.assertClose("blur y", y, out, 1e-7, 0));
            float[] dIn = new float[x.length];
            k.blurBackward(dIn, dy, 1, h, w, c, false);
            System.out.println("blur dx" + " worst " + RenderTestData.assertClose("blur dx", dx, dIn, 3e-7, 0));
        }
    }

    @Test
    void blurRejectsASinglePixelSide() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SCALAR.blurForward(new float[4], new float[4], 1, 1, 4, 1));
        assertTrue(e.getMessage().contains("blurForward"), e.getMessage());
    }

    // ------------------------------------------------------------ finite differences and parity

    /** Which piece a parameterized helper runs. */
    private enum Piece { SHUFFLE, REPEAT, UPSAMPLE, BLUR }

    private static void run(RenderKernels k, Piece p, float[] out, float[] in, int n, int h, int w, int c) {
        switch (p) {
            case SHUFFLE -> k.pixelShuffleForward(out, in, n, h, w, c);
            case REPEAT -> k.repeatAddForward(out, in, in, n * h * w * 4 * c, n * h * w, c, 4);
            case UPSAMPLE -> k.upsampleForward(out, in, n, h, w, c);
            case BLUR -> k.blurForward(out, in, n, h, w, c);
        }
    }

    private static void back(RenderKernels k, Piece p, float[] dIn, float[] dOut, int n, int h, int w, int c,
                             boolean acc) {
        switch (p) {
            case SHUFFLE -> k.pixelShuffleBackward(dIn, dOut, n, h, w, c, acc);
            case REPEAT -> {
                // out = y + repeat(x) with y = in[0 .. rows*4C) and x = in[rows*4C ..): dy = dOut, dx = sums.
                int rows = n * h * w;
                for (int i = 0; i < rows * 4 * c; i++) {
                    dIn[i] = acc ? dIn[i] + dOut[i] : dOut[i];
                }
                k.repeatAddBackward(dIn, rows * 4 * c, dOut, rows, c, 4, acc);
            }
            case UPSAMPLE -> k.upsampleBackward(dIn, dOut, n, h, w, c, acc);
            case BLUR -> k.blurBackward(dIn, dOut, n, h, w, c, acc);
        }
    }

    private static int inSize(Piece p, int n, int h, int w, int c) {
        return switch (p) {
            case SHUFFLE -> n * h * w * 4 * c;
            case REPEAT -> n * h * w * 5 * c;
            case UPSAMPLE, BLUR -> n * h * w * c;
        };
    }

    private static int outSize(Piece p, int n, int h, int w, int c) {
        return switch (p) {
            case BLUR -> n * h * w * c;
            case SHUFFLE, REPEAT, UPSAMPLE -> n * h * w * 4 * c;
        };
    }

    @Test
    void finiteDifferences() {
        int n = 2;
        int h = 3;
        int w = 4;
        int c = 3;
        for (Piece p : Piece.values()) {
            for (RenderKernels k : new RenderKernels[] {SCALAR, PARALLEL}) {
                float[] in = RenderTestData.uniform(inSize(p, n, h, w, c), p.ordinal() + 1, -1, 1);
                float[] out = new float[outSize(p, n, h, w, c)];
                float[] dOut = new float[out.length];
                float[] dIn = new float[in.length];
                // Linear ops: central differences are exact up to float rounding of the loss.
                new GradientChecker(p.ordinal()).eps(0.05).tolerance(1e-3, 1e-3).maxCoordinates(60)
                        .output(p.name(), out, dOut).input("in", in, dIn)
                        .check(() -> run(k, p, out, in, n, h, w, c), () -> back(k, p, dIn, dOut, n, h, w, c, false));
            }
        }
    }

    @Test
    void parallelMatchesScalarBitForBit() {
        // 11 channels: narrower than any vector (the scalar helpers); 37: full vectors of 4, 8 or 16 lanes plus a
        // tail (the Vector API blur of ParallelRenderKernels)
        for (int c : new int[] {11, 37}) {
            parallelMatchesScalarBitForBit(3, 5, 7, c);
        }
    }

    private static void parallelMatchesScalarBitForBit(int n, int h, int w, int c) {
        for (Piece p : Piece.values()) {
            float[] in = RenderTestData.uniform(inSize(p, n, h, w, c), 40 + p.ordinal(), -1, 1);
            float[] o1 = new float[outSize(p, n, h, w, c)];
            float[] o2 = new float[o1.length];
            run(SCALAR, p, o1, in, n, h, w, c);
            run(PARALLEL, p, o2, in, n, h, w, c);
            RenderTestData.assertSame(p + " forward", o1, o2);
            float[] dOut = RenderTestData.uniform(o1.length, 50 + p.ordinal(), -1, 1);
            for (boolean acc : new boolean[] {false, true}) {
                float[] d1 = RenderTestData.uniform(in.length, 60, -1, 1);
                float[] d2 = d1.clone();
                back(SCALAR, p, d1, dOut, n, h, w, c, acc);
                back(PARALLEL, p, d2, dOut, n, h, w, c, acc);
                RenderTestData.assertSame(p + " backward (accumulate " + acc + ")", d1, d2);
            }
        }
    }
}
