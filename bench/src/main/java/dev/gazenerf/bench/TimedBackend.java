package dev.gazenerf.bench;

import dev.gazenerf.backend.Backend;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link Backend} that times every call of the backend it wraps while {@link #on}: the matrix products
 * ({@code gemm*}, whose first three arguments are m, n and k) add their time and {@code 2 m n k} FLOP to
 * {@link #gemmNanos} and {@link #gemmFlops}; with {@code detail}, every call is also tabled by name and, for the
 * products, by form and shape ({@link #table}: key to nanoseconds, calls, FLOP). The clock, the proxy and the
 * boxing of the arguments cost a little per call (about a microsecond), and that cost is counted in the calls'
 * time, so the rates come out a little low, never high. Used by {@link MlpCallProfile} and
 * {@link MlpMatrixWorkBenchmark}.
 */
final class TimedBackend implements InvocationHandler {
    private final Backend target;
    private final boolean detail;
    private final Backend proxy;
    /** Key ("NT 4096x384x384", "adam", ...) to {nanoseconds, calls, FLOP}; filled only with {@code detail}. */
    final Map<String, long[]> table = new TreeMap<>();
    /** Whether calls are timed now. */
    boolean on;
    /** Time and FLOP of the matrix products timed so far. */
    long gemmNanos;
    long gemmFlops;

    TimedBackend(Backend target, boolean detail) {
        this.target = target;
        this.detail = detail;
        this.proxy = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                this);
    }

    /** The wrapped backend (closing it closes the target). */
    Backend backend() {
        return proxy;
    }

    /** The backend that does the work. */
    Backend target() {
        return target;
    }

    @Override
    public Object invoke(Object p, Method method, Object[] args) throws Throwable {
        if (method.isDefault()) {
            return InvocationHandler.invokeDefault(p, method, args);
        }
        long t0 = System.nanoTime();
        Object r;
        try {
            r = method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
        long dt = System.nanoTime() - t0;
        if (on && args != null) {
            String name = method.getName();
            long flops = 0;
            if (name.startsWith("gemm")) {
                int m = (Integer) args[0];
                int n = (Integer) args[1];
                int k = (Integer) args[2];
                flops = 2L * m * n * k;
                gemmNanos += dt;
                gemmFlops += flops;
                if (detail) {
                    name = name.substring(4) + " " + m + "x" + n + "x" + k;
                }
            }
            if (detail) {
                long[] v = table.computeIfAbsent(name, x -> new long[3]);
                v[0] += dt;
                v[1]++;
                v[2] += flops;
            }
        }
        return r;
    }
}
