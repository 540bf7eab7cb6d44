package io.corio.blockio;

import io.corio.core.io.Buffers;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The {@link CountingFilter}: counts each request when it finishes, in {@link LongAdder}s, so
 * that coroutines of many contexts counting at once do not contend on one cache line.
 */
final class CountingDriver extends FilterDriver implements CountingFilter {

    /** The counters of one kind of request; each is CAS only (LongAdder). */
    private static final class Counter {
        final LongAdder requests = new LongAdder();
        final LongAdder bytes = new LongAdder();
        final LongAdder errors = new LongAdder();

        void ok(long n) {
            bytes.add(n);
            requests.increment();
        }

        void failed() {
            errors.increment();
            requests.increment();
        }

        OpCount snapshot() {
            return new OpCount(requests.sum(), bytes.sum(), errors.sum());
        }
    }

    private final Counter read = new Counter();
    private final Counter write = new Counter();
    private final Counter flush = new Counter();
    private final Counter discard = new Counter();
    private final Counter writeZeroes = new Counter();
    private final Counter blockStatus = new Counter();

    CountingDriver(BlockDriver inner) {
        super(inner);
    }

    @Override
    public Counts counts() {
        return new Counts(read.snapshot(), write.snapshot(), flush.snapshot(),
                discard.snapshot(), writeZeroes.snapshot(), blockStatus.snapshot());
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws BlockException {
        int n = dst.remaining();
        boolean ok = false;
        try {
            inner.read(offset, dst);
            ok = true;
        } finally {
            count(read, ok, n);
        }
    }

    @Override
    public ByteBuffer read(long offset, int length, Buffers buffers) throws BlockException {
        boolean ok = false;
        try {
            ByteBuffer data = inner.read(offset, length, buffers);
            ok = true;
            return data;
        } finally {
            count(read, ok, length);
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, int flags) throws BlockException {
        int n = src.remaining();
        boolean ok = false;
        try {
            inner.write(offset, src, flags);
            ok = true;
        } finally {
            count(write, ok, n);
        }
    }

    @Override
    public void flush() throws BlockException {
        boolean ok = false;
        try {
            inner.flush();
            ok = true;
        } finally {
            count(flush, ok, 0);
        }
    }

    @Override
    public void discard(long offset, long length) throws BlockException {
        boolean ok = false;
        try {
            inner.discard(offset, length);
            ok = true;
        } finally {
            count(discard, ok, length);
        }
    }

    @Override
    public void writeZeroes(long offset, long length, int flags) throws BlockException {
        boolean ok = false;
        try {
            inner.writeZeroes(offset, length, flags);
            ok = true;
        } finally {
            count(writeZeroes, ok, length);
        }
    }

    @Override
    public List<Extent> blockStatus(long offset, long length) throws BlockException {
        List<Extent> answer = null;
        try {
            answer = inner.blockStatus(offset, length);
            return answer;
        } finally {
            count(blockStatus, answer != null,
                    answer == null || answer.isEmpty() ? 0 : answer.getLast().end() - offset);
        }
    }

    private static void count(Counter c, boolean ok, long bytes) {
        if (ok) {
            c.ok(bytes);
        } else {
            c.failed();
        }
    }

    @Override
    public String toString() {
        return inner + " (counted)";
    }
}
