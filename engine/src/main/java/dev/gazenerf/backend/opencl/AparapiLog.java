package dev.gazenerf.backend.opencl;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import com.aparapi.Config;

/**
 * Remembers the last warning Aparapi logged on each thread, so that a kernel that did not run on the OpenCL
 * device can be reported with Aparapi's own reason (a failed compile, missing fp64, a translation error).
 * Aparapi reports these only through {@code java.util.logging}.
 */
public final class AparapiLog {
    private static final ThreadLocal<String> LAST = new ThreadLocal<>();
    private static volatile boolean installed;

    private AparapiLog() {
    }

    /** Attaches the recording handler to Aparapi's logger (once per JVM). */
    public static synchronized void install() {
        if (installed) {
            return;
        }
        Logger logger = Logger.getLogger(Config.getLoggerName());
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
