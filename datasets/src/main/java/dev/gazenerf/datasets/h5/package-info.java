/**
 * The reference's per-subject HDF5 format (reference section 1.1): the key table
 * ({@link dev.gazenerf.datasets.h5.SubjectFormat}), validated random-access reading
 * ({@link dev.gazenerf.datasets.h5.SubjectFile}), atomic writing with uint8 images
 * ({@link dev.gazenerf.datasets.h5.SubjectWriter}, {@link dev.gazenerf.datasets.h5.UnsignedInt8}) and errors that
 * name the file and key ({@link dev.gazenerf.datasets.h5.DatasetFormatException}).
 */
package dev.gazenerf.datasets.h5;
