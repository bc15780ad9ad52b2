package dev.gazenerf.datasets.h5;

import io.jhdf.api.WritableDataset;
import io.jhdf.object.datatype.DataType;
import io.jhdf.object.datatype.FixedPoint;
import java.lang.reflect.Field;

/**
 * Marks a jHDF dataset of Java bytes as unsigned 8-bit (HDF5 H5T_STD_U8LE) before the file is written.
 *
 * <p>jHDF 0.11.0 (the newest release served) derives the datatype from the Java array: {@code byte} becomes
 * a signed 8-bit fixed-point type and there is no public API to choose unsigned. The stored bytes are the
 * same either way; only bit 3 of the fixed-point datatype message ("signed", HDF5 file format spec IV.A.2.d)
 * differs. jHDF's {@code FixedPoint.toBuffer()} writes that bit from its private {@code signed} field when
 * the file is closed, so clearing the field after {@code putDataset} and before {@code close} yields a
 * uint8 dataset that h5py reads as {@code dtype('uint8')}, values 0..255.
 *
 * <p>The field is reached by reflection, once. If a jHDF version lays the class out differently this fails
 * loudly with {@link IllegalStateException} (tests cover it, including a read-back through h5py); it never
 * silently writes signed data.
 */
public final class UnsignedInt8 {
    private static final Field SIGNED = signedField();

    private UnsignedInt8() {
    }

    private static Field signedField() {
        try {
            Field f = FixedPoint.class.getDeclaredField("signed");
            if (f.getType() != boolean.class) {
                throw new IllegalStateException("jHDF FixedPoint.signed is not a boolean");
            }
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException | RuntimeException e) {
            throw new IllegalStateException("UnsignedInt8: this jHDF version has no FixedPoint.signed field;"
                    + " cannot write uint8 datasets", e);
        }
    }

    /**
     * Makes a freshly put dataset of Java bytes unsigned.
     *
     * @throws IllegalArgumentException if the dataset is not 8-bit fixed point
     * @throws IllegalStateException    if the flag cannot be changed
     */
    public static void mark(WritableDataset dataset) {
        DataType type = dataset.getDataType();
        if (!(type instanceof FixedPoint) || type.getSize() != 1) {
            throw new IllegalArgumentException("UnsignedInt8.mark: dataset " + dataset.getName()
                    + " is not 8-bit fixed point but " + type);
        }
        try {
            SIGNED.setBoolean(type, false);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("UnsignedInt8.mark: cannot clear the signed flag", e);
        }
        if (((FixedPoint) type).isSigned()) {
            throw new IllegalStateException("UnsignedInt8.mark: the signed flag did not change");
        }
    }
}
