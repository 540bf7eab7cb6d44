package io.corio.bench.ninep;

import io.corio.ninep.client.NinepClient;
import io.corio.ninep.client.NinepError;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Rmessage.Rattach;
import io.corio.ninep.protocol.Rmessage.Rclunk;
import io.corio.ninep.protocol.Rmessage.Rgetattr;
import io.corio.ninep.protocol.Rmessage.Rlcreate;
import io.corio.ninep.protocol.Rmessage.Rlopen;
import io.corio.ninep.protocol.Rmessage.Rread;
import io.corio.ninep.protocol.Rmessage.Rversion;
import io.corio.ninep.protocol.Rmessage.Rwalk;
import io.corio.ninep.protocol.Rmessage.Rwrite;
import io.corio.ninep.protocol.Tmessage.Tattach;
import io.corio.ninep.protocol.Tmessage.Tclunk;
import io.corio.ninep.protocol.Tmessage.Tgetattr;
import io.corio.ninep.protocol.Tmessage.Tlcreate;
import io.corio.ninep.protocol.Tmessage.Tlopen;
import io.corio.ninep.protocol.Tmessage.Tread;
import io.corio.ninep.protocol.Tmessage.Twalk;
import io.corio.ninep.protocol.Tmessage.Twrite;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A 9P2000.L load generator at fixed concurrency: exactly {@code concurrency} requests in flight
 * in total, spread round-robin over {@code connections} connections of {@link NinepClient}
 * (which multiplexes tags), each a Tread of {@code blockSize} bytes at a random 4 KiB-aligned
 * offset of one file, or a Tgetattr of it. Every reply is checked: a read must return the whole
 * block with the bytes of {@link #word}'s pattern, a getattr the file's size. A wrong reply or an
 * Rlerror counts as an error and its latency is not recorded, so a server that fails fast does
 * not look fast; callers treat any error as a failed run.
 *
 * <p>Not thread-safe; {@link #run} may be called once per instance at a time. Works against
 * corio's servers and diod: it attaches with {@code uname} and {@code n_uname} = {@code uid}
 * and no Tauth (diod run with {@code -n} and corio need none).
 */
final class NinepLoad {
    /** What each request is. */
    enum Op { READ, WRITE, GETATTR }

    /**
     * One run's settings. {@code aname} names the export (corio and diod: the directory's
     * absolute path), {@code file} a file in its root that {@link #prepare} writes when it is
     * missing or not the pattern; {@code fileSize} is a multiple of 4 KiB.
     */
    record Config(SocketAddress server, String aname, String file, long fileSize, Op op, int blockSize,
            int concurrency, int connections, Duration warmup, Duration measure, String uname, int uid,
            int gid) {
        Config {
            Objects.requireNonNull(server, "server");
            Objects.requireNonNull(aname, "aname");
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(op, "op");
            Objects.requireNonNull(uname, "uname");
            if (fileSize <= 0 || fileSize % ALIGN != 0) {
                throw new IllegalArgumentException("fileSize must be a positive multiple of " + ALIGN + ": " + fileSize);
            }
            if (blockSize <= 0 || blockSize > fileSize) {
                throw new IllegalArgumentException("blockSize must be in [1, fileSize]: " + blockSize);
            }
            if (concurrency < 1) {
                throw new IllegalArgumentException("concurrency must be at least 1: " + concurrency);
            }
            if (connections < 1 || connections > concurrency) {
                throw new IllegalArgumentException("connections must be in [1, concurrency]: " + connections);
            }
        }
    }

    /**
     * What one run measured: {@code ops} replies that passed their check while the measurement
     * lasted ({@code seconds}), latency percentiles of those in nanoseconds, and every error of
     * the run (warm-up included) with the first one's text.
     */
    record Result(long ops, double seconds, long bytes, long p50, long p90, long p99, long max, long errors,
            String firstError) {
        double opsPerSecond() {
            return ops / seconds;
        }

        double megabytesPerSecond() {
            return bytes / seconds / 1e6;
        }
    }

    /** Offsets are multiples of this, as a page cache's reads are. */
    static final int ALIGN = 4096;
    /** The msize asked for: enough for 1 MiB reads; servers answer with their own limit. */
    private static final int MSIZE = 1024 * 1024 + P9.IOHDRSZ;
    private static final int ROOT_FID = 0;
    private static final int FILE_FID = 1;
    private static final long GOLDEN = 0x9E37_79B9_7F4A_7C15L;

    private final Config config;
    private final AtomicLong errors = new AtomicLong();
    private final AtomicReference<String> firstError = new AtomicReference<>();
    private volatile Phase phase = Phase.WARMUP;

    /** WARMUP -> MEASURE -> DONE, set by the thread in {@link #run}; workers only read it. */
    private enum Phase { WARMUP, MEASURE, DONE }

    NinepLoad(Config config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /** The 8 bytes, little-endian, at {@code offset} (a multiple of 8) of the pattern file. */
    static long word(long offset) {
        return (offset + 8) * GOLDEN;
    }

    /**
     * Makes sure the export holds the pattern file: writes it (Tlcreate or Tlopen with O_TRUNC,
     * then Twrites) when it is missing, of another size, or its first block is not the pattern.
     * Returns whether it wrote.
     */
    boolean prepare() throws IOException, NinepError {
        try (NinepClient c = open()) {
            int chunk = Math.min(c.msize() - P9.IOHDRSZ, 1024 * 1024) / ALIGN * ALIGN;
            boolean exists = true;
            try {
                c.call(Rwalk.class, t -> new Twalk(t, ROOT_FID, FILE_FID, List.of(config.file())));
            } catch (NinepError e) {
                if (e.errno() != Errno.ENOENT) {
                    throw e;
                }
                exists = false;
            }
            if (exists) {
                long size = c.call(Rgetattr.class, t -> new Tgetattr(t, FILE_FID, P9.GETATTR_BASIC)).attr().size();
                c.call(Rlopen.class, t -> new Tlopen(t, FILE_FID, P9.DOTL_RDONLY));
                int first = (int) Math.min(chunk, config.fileSize());
                ByteBuffer head = c.call(Rread.class, t -> new Tread(t, FILE_FID, 0, first)).data();
                c.call(Rclunk.class, t -> new Tclunk(t, FILE_FID));
                if (size == config.fileSize() && head.remaining() == first && isPattern(head, 0)) {
                    return false;
                }
                c.call(Rwalk.class, t -> new Twalk(t, ROOT_FID, FILE_FID, List.of(config.file())));
                c.call(Rlopen.class, t -> new Tlopen(t, FILE_FID, P9.DOTL_WRONLY | P9.DOTL_TRUNC));
            } else {
                c.call(Rwalk.class, t -> new Twalk(t, ROOT_FID, FILE_FID, List.of()));
                c.call(Rlcreate.class, t -> new Tlcreate(t, FILE_FID, config.file(),
                        P9.DOTL_WRONLY | P9.DOTL_CREATE | P9.DOTL_TRUNC, 0644, config.gid()));
            }
            ByteBuffer block = ByteBuffer.allocate(chunk).order(ByteOrder.LITTLE_ENDIAN);
            for (long offset = 0; offset < config.fileSize(); ) {
                int n = (int) Math.min(chunk, config.fileSize() - offset);
                block.clear().limit(n);
                for (int i = 0; i < n; i += 8) {
                    block.putLong(i, word(offset + i));
                }
                long at = offset;
                offset += c.call(Rwrite.class, t -> new Twrite(t, FILE_FID, at, block.duplicate())).count();
            }
            c.call(Rclunk.class, t -> new Tclunk(t, FILE_FID));
            return true;
        }
    }

    /** Runs the warm-up, then the measurement; returns when every worker has stopped. */
    Result run() throws IOException, NinepError, InterruptedException {
        List<NinepClient> clients = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        List<Latencies> logs = new ArrayList<>();
        try {
            for (int i = 0; i < config.connections(); i++) {
                NinepClient c = open();
                clients.add(c);
                if (config.op() != Op.GETATTR && config.blockSize() > c.msize() - P9.IOHDRSZ) {
                    throw new IllegalArgumentException("blockSize " + config.blockSize() + " does not fit the msize the"
                            + " server agreed to, " + c.msize() + ": the largest read is " + (c.msize() - P9.IOHDRSZ));
                }
                c.call(Rwalk.class, t -> new Twalk(t, ROOT_FID, FILE_FID, List.of(config.file())));
                int mode = config.op() == Op.WRITE ? P9.DOTL_RDWR : P9.DOTL_RDONLY;
                c.call(Rlopen.class, t -> new Tlopen(t, FILE_FID, mode));
            }
            for (int i = 0; i < config.concurrency(); i++) {
                Latencies log = new Latencies();
                logs.add(log);
                NinepClient c = clients.get(i % clients.size());
                SplittableRandom random = new SplittableRandom(i);
                workers.add(Thread.ofVirtual().name("9p-load-" + i).start(() -> work(c, log, random)));
            }
            Thread.sleep(config.warmup());
            long start = System.nanoTime();
            phase = Phase.MEASURE;
            Thread.sleep(config.measure());
            phase = Phase.DONE;
            long end = System.nanoTime();
            for (Thread w : workers) {
                w.join();
            }
            long[] sorted = Latencies.merge(logs);
            long bytes = config.op() == Op.GETATTR ? 0 : (long) sorted.length * config.blockSize();
            return new Result(sorted.length, (end - start) / 1e9, bytes, Latencies.percentile(sorted, 50),
                    Latencies.percentile(sorted, 90), Latencies.percentile(sorted, 99),
                    sorted.length == 0 ? 0 : sorted[sorted.length - 1], errors.get(), firstError.get());
        } finally {
            phase = Phase.DONE;
            for (NinepClient c : clients) {
                c.close(); // fails the waits of workers still blocked, if a server hangs
            }
            for (Thread w : workers) {
                w.join();
            }
        }
    }

    /** A connection, versioned and attached as ROOT_FID. */
    private NinepClient open() throws IOException, NinepError {
        NinepClient c = NinepClient.connect(config.server());
        try {
            Rversion v = c.version(MSIZE);
            if (!P9.VERSION_9P2000_L.equals(v.version())) {
                throw new IOException("the server does not speak 9P2000.L: " + v);
            }
            c.call(Rattach.class, t -> new Tattach(t, ROOT_FID, P9.NOFID, config.uname(), config.aname(),
                    config.uid()));
            return c;
        } catch (IOException | NinepError | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** One request in flight at a time, until the run is done or the connection fails. */
    private void work(NinepClient c, Latencies log, SplittableRandom random) {
        long blocks = (config.fileSize() - config.blockSize()) / ALIGN + 1;
        ByteBuffer block = ByteBuffer.allocate(config.op() == Op.WRITE ? config.blockSize() : 0)
                .order(ByteOrder.LITTLE_ENDIAN);
        while (true) {
            long offset = random.nextLong(blocks) * ALIGN;
            String wrong = null;
            boolean fatal = false;
            long latency = 0;
            long start = System.nanoTime();
            try {
                if (config.op() == Op.READ) {
                    ByteBuffer data = c.call(Rread.class, t -> new Tread(t, FILE_FID, offset, config.blockSize())).data();
                    latency = System.nanoTime() - start;
                    if (data.remaining() != config.blockSize()) {
                        wrong = "read at " + offset + " returned " + data.remaining() + " bytes, not " + config.blockSize();
                    } else if (!isPattern(data, offset)) {
                        wrong = "read at " + offset + " returned bytes that are not the file's";
                    }
                } else if (config.op() == Op.WRITE) { // the file's own pattern: it stays readable
                    int n8 = block.capacity() / 8 * 8;
                    for (int i = 0; i < n8; i += 8) {
                        block.putLong(i, word(offset + i));
                    }
                    for (int i = n8; i < block.capacity(); i++) {
                        block.put(i, (byte) (word(offset + n8) >>> (8 * (i - n8))));
                    }
                    start = System.nanoTime();
                    int n = c.call(Rwrite.class, t -> new Twrite(t, FILE_FID, offset, block.duplicate())).count();
                    latency = System.nanoTime() - start;
                    if (n != config.blockSize()) {
                        wrong = "write at " + offset + " wrote " + n + " bytes, not " + config.blockSize();
                    }
                } else {
                    long size = c.call(Rgetattr.class, t -> new Tgetattr(t, FILE_FID, P9.GETATTR_BASIC)).attr().size();
                    latency = System.nanoTime() - start;
                    if (size != config.fileSize()) {
                        wrong = "getattr returned size " + size + ", not " + config.fileSize();
                    }
                }
            } catch (NinepError e) {
                wrong = e.getMessage();
            } catch (IOException | RuntimeException e) {
                wrong = "connection failed: " + e;
                fatal = true;
            }
            Phase now = phase;
            if (wrong != null) {
                if (now != Phase.DONE || !fatal) { // closing the clients at the end is not an error
                    errors.incrementAndGet();
                    firstError.compareAndSet(null, wrong);
                }
            } else if (now == Phase.MEASURE) {
                log.add(latency);
            }
            if (now == Phase.DONE || fatal) {
                return;
            }
        }
    }

    /** Whether {@code data} (from its position) holds the pattern's bytes from {@code offset}. */
    static boolean isPattern(ByteBuffer data, long offset) {
        ByteBuffer d = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int n = d.remaining();
        int base = d.position();
        for (int i = 0; i + 8 <= n; i += 8) {
            if (d.getLong(base + i) != word(offset + i)) {
                return false;
            }
        }
        ByteBuffer tail = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, word(offset + n / 8 * 8));
        for (int i = n / 8 * 8; i < n; i++) {
            if (d.get(base + i) != tail.get(i % 8)) {
                return false;
            }
        }
        return true;
    }
}
