package dev.gazenerf.backend.opencl;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import com.aparapi.Config;

/**
 * Remembers the last warning Aparapi logged on each thread, so that a kernel that did not run on the OpenCL
 * device can be reported with Aparapi's own reason (a failed compile, missing fp64, a translation error).
 * Aparapi reports these only through {@code java.util.logging}. It also drops Aparapi's harmless warnings
 * about class-file attributes it does not know (printed once per translated class on JDK 17 and later).
 */
public final class AparapiLog {
    /** Start of the harmless warning Aparapi's class reader logs for unknown class-file attributes. */
    static final String HARMLESS_ATTRIBUTE_WARNING = "Found unexpected Attribute";
    private static final ThreadLocal<String> LAST = new ThreadLocal<>();
    private static volatile boolean installed;
    /** Held so that the configured logger is never collected and recreated without our handler and filter. */
    private static Logger aparapiLogger;

    private AparapiLog() {
    }

    /** Attaches the recording handler and the filter to Aparapi's logger (once per JVM). */
    public static synchronized void install() {
        if (installed) {
            return;
        }
        Logger logger = Logger.getLogger(Config.getLoggerName());
        aparapiLogger = logger;
        // Aparapi's class reader warns about class-file attributes newer than it knows (NestHost, NestMembers,
        // MethodParameters) once per class it translates; they do not affect the generated OpenCL.
        logger.setFilter(record -> record.getMessage() == null
                || !record.getMessage().startsWith(HARMLESS_ATTRIBUTE_WARNING));
        logger.addHandler(new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    String msg = record.getMessage();
                    if (record.getThrown() != null) {
                        msg = msg + " (" + record.getThrown() + ")";
                    }
                    LAST.set(msg);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        installed = true;
    }

    /** Forgets the last warning of this thread (call before a launch). */
    public static void clear() {
        LAST.remove();
    }

    /** The last warning Aparapi logged on this thread since {@link #clear()}, or null. */
    public static String last() {
        return LAST.get();
    }
}
