package io.corio.bench.ninep;

import java.util.Arrays;
import java.util.List;

/**
 * Every latency one load worker measured, in nanoseconds: a growable array, not a histogram,
 * so the percentiles are exact (a 10 s run at 100,000 ops/s keeps 8 MB). Confined to its
 * worker until {@link #merge} reads it after the worker has been joined.
 */
final class Latencies {
    private long[] nanos = new long[4096]; // owner thread only
    private int count; // owner thread only

    void add(long latencyNanos) {
        if (count == nanos.length) {
            nanos = Arrays.copyOf(nanos, count * 2);
        }
        nanos[count++] = latencyNanos;
    }

    int count() {
        return count;
    }

    /** All the logs' latencies, sorted; call after their owners have been joined. */
    static long[] merge(List<Latencies> logs) {
        long[] all = new long[logs.stream().mapToInt(Latencies::count).sum()];
        int at = 0;
        for (Latencies l : logs) {
            System.arraycopy(l.nanos, 0, all, at, l.count);
            at += l.count;
        }
        Arrays.sort(all);
        return all;
    }

    /** The nearest-rank {@code p}-th percentile (0 < p <= 100) of {@code sorted}; 0 when empty. */
    static long percentile(long[] sorted, double p) {
        if (!(p > 0 && p <= 100)) {
            throw new IllegalArgumentException("percentile must be in (0, 100]: " + p);
        }
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(rank, 1) - 1];
    }
}
