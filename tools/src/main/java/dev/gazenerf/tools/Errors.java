package dev.gazenerf.tools;

/** Turns an exception into the one line a user sees. */
final class Errors {
    private Errors() {
    }

    /** The most specific message in the cause chain, prefixed by nothing but itself; never empty. */
    static String oneLine(Throwable t) {
        Throwable cur = t;
        String msg = null;
        while (cur != null) {
            if (cur.getMessage() != null && !cur.getMessage().isBlank()) {
                msg = cur.getMessage();
                if (!(cur instanceof java.lang.reflect.InvocationTargetException)) {
                    break;
                }
            }
            cur = cur.getCause();
        }
        if (msg == null) {
            msg = t.getClass().getSimpleName();
        }
        return msg.replace('\n', ' ').trim();
    }
}
