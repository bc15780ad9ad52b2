package dev.gazenerf.datasets.h5;

import java.nio.file.Path;

/**
 * A subject file that cannot be read or written as the reference format (section 1.1 of the reference):
 * missing file or key, wrong shape or dtype, truncated or corrupt content. The message always names the
 * file and, where one is involved, the key.
 */
public final class DatasetFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String key;

    public DatasetFormatException(Path file, String key, String problem) {
        this(file, key, problem, null);
    }

    public DatasetFormatException(Path file, String key, String problem, Throwable cause) {
        super(message(file, key, problem, cause), cause);
        this.file = file;
        this.key = key;
    }

    private static String message(Path file, String key, String problem, Throwable cause) {
        StringBuilder b = new StringBuilder();
        b.append(file == null ? "<no file>" : file.toString());
        if (key != null) {
            b.append(" [key '").append(key).append("']");
        }
        b.append(": ").append(problem);
        if (cause != null && cause.getMessage() != null && !problem.contains(cause.getMessage())) {
            b.append(" (").append(cause.getClass().getSimpleName()).append(": ").append(cause.getMessage()).append(')');
        }
        return b.toString();
    }

    /** The file involved. */
    public Path file() {
        return file;
    }

    /** The dataset key involved, or null for whole-file problems. */
    public String key() {
        return key;
    }
}
