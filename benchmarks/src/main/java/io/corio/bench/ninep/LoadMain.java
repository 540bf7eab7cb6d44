package io.corio.bench.ninep;

import io.corio.bench.ninep.NinepLoad.Config;
import io.corio.bench.ninep.NinepLoad.Op;
import io.corio.bench.ninep.NinepLoad.Result;
import io.corio.ninep.client.NinepError;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * {@code 9p-load}: {@link NinepLoad} from the command line, for {@code benchmarks/run-9p-load}
 * and by hand. Prints one line (or, with {@code --json}, one JSON object) with ops/s, MB/s,
 * latency percentiles and the errors; exits 1 when any request failed or returned wrong data,
 * 2 on a usage error.
 */
public final class LoadMain {
    private LoadMain() {}

    static final String USAGE = """
            usage: java -cp benchmarks/target/benchmarks.jar io.corio.bench.ninep.LoadMain
                       --server HOST:PORT --aname ANAME [--file NAME] [--file-size N] [--op read|write|getattr]
                       [--block N] [--concurrency C] [--connections N] [--seconds S] [--warmup S] [--json]
              Keeps exactly C 9P2000.L requests in flight (default 16), spread over N connections
              (default one per 16 in flight), each a Tread of --block bytes (default 4K) at a random
              4 KiB-aligned offset of --file (default 9p-load.dat) or a Tgetattr of it, for --warmup
              seconds (default 1), then --seconds (default 5) measured. The file, --file-size bytes
              (default 64M), is written through 9P first if it is missing or not the tool's pattern.
              Every read's bytes are checked. Attaches as the current user (uname and n_uname, no
              Tauth): corio (aname = the exported directory's absolute path) and diod -n.
              Sizes take a K, M or G suffix (powers of 1024).
            """;

    public static void main(String[] args) throws InterruptedException {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws InterruptedException {
        Config config;
        boolean json = false;
        try {
            String server = null;
            String aname = null;
            String file = "9p-load.dat";
            long fileSize = 64L << 20;
            Op op = Op.READ;
            int block = 4096;
            int concurrency = 16;
            int connections = 0;
            double seconds = 5;
            double warmup = 1;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--help", "-h" -> {
                        out.print(USAGE);
                        return 0;
                    }
                    case "--json" -> json = true;
                    default -> {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException("unknown flag or missing value: " + a);
                        }
                        String v = args[++i];
                        switch (a) {
                            case "--server" -> server = v;
                            case "--aname" -> aname = v;
                            case "--file" -> file = v;
                            case "--file-size" -> fileSize = size(a, v);
                            case "--op" -> op = Op.valueOf(v.toUpperCase(Locale.ROOT));
                            case "--block" -> block = Math.toIntExact(size(a, v));
                            case "--concurrency" -> concurrency = Integer.parseInt(v);
                            case "--connections" -> connections = Integer.parseInt(v);
                            case "--seconds" -> seconds = Double.parseDouble(v);
                            case "--warmup" -> warmup = Double.parseDouble(v);
                            default -> throw new IllegalArgumentException("unknown flag: " + a);
                        }
                    }
                }
            }
            if (server == null || aname == null) {
                throw new IllegalArgumentException("--server and --aname are required");
            }
            int colon = server.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("--server must be HOST:PORT: " + server);
            }
            InetSocketAddress address = new InetSocketAddress(server.substring(0, colon),
                    Integer.parseInt(server.substring(colon + 1)));
            if (connections == 0) {
                connections = Math.max(1, Math.min(concurrency, (concurrency + 15) / 16));
            }
            Path self = Path.of("/proc/self");
            int uid = (Integer) Files.getAttribute(self, "unix:uid");
            int gid = (Integer) Files.getAttribute(self, "unix:gid");
            config = new Config(address, aname, file, fileSize, op, block, concurrency, connections,
                    Duration.ofNanos((long) (warmup * 1e9)), Duration.ofNanos((long) (seconds * 1e9)),
                    System.getProperty("user.name"), uid, gid);
        } catch (IllegalArgumentException | IOException e) { // NumberFormatException too
            err.println("9p-load: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        NinepLoad load = new NinepLoad(config);
        Result r;
        try {
            load.prepare();
            r = load.run();
        } catch (IOException | NinepError | IllegalArgumentException e) {
            InetSocketAddress a = (InetSocketAddress) config.server();
            err.println("9p-load: " + a.getHostString() + ":" + a.getPort() + " aname " + config.aname() + ": " + e.getMessage());
            return 1;
        }
        out.println(json ? json(config, r) : line(config, r));
        if (r.errors() > 0 || r.ops() == 0) {
            err.println("9p-load: " + r.errors() + " errors" + (r.firstError() == null ? "" : ", the first: "
                    + r.firstError()) + (r.ops() == 0 ? "; no request completed" : ""));
            return 1;
        }
        return 0;
    }

    private static long size(String flag, String v) {
        String s = v.trim().toUpperCase(Locale.ROOT);
        int shift = switch (s.isEmpty() ? ' ' : s.charAt(s.length() - 1)) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            default -> 0;
        };
        long n = Long.parseLong(shift == 0 ? s : s.substring(0, s.length() - 1));
        if (n <= 0) {
            throw new IllegalArgumentException(flag + " must be positive: " + v);
        }
        return n << shift;
    }

    private static String what(Config c) {
        return (c.op() == Op.GETATTR ? "getattr" : c.op().name().toLowerCase(Locale.ROOT) + " " + c.blockSize() + " B") + ", " + c.concurrency()
                + " in flight on " + c.connections() + " connection" + (c.connections() == 1 ? "" : "s");
    }

    static String line(Config c, Result r) {
        return String.format(Locale.ROOT,
                "9p-load: %s: %.0f ops/s, %.1f MB/s, latency p50 %.1f us, p90 %.1f us, p99 %.1f us, max %.1f us;"
                        + " %d ops in %.2f s, %d errors",
                what(c), r.opsPerSecond(), r.megabytesPerSecond(), r.p50() / 1e3, r.p90() / 1e3, r.p99() / 1e3,
                r.max() / 1e3, r.ops(), r.seconds(), r.errors());
    }

    static String json(Config c, Result r) {
        String error = r.firstError() == null ? "null"
                : "\"" + r.firstError().replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
        return String.format(Locale.ROOT,
                "{\"op\": \"%s\", \"block\": %d, \"concurrency\": %d, \"connections\": %d, \"ops\": %d,"
                        + " \"seconds\": %.3f, \"ops_per_s\": %.1f, \"mb_per_s\": %.2f, \"p50_us\": %.1f,"
                        + " \"p90_us\": %.1f, \"p99_us\": %.1f, \"max_us\": %.1f, \"errors\": %d, \"first_error\": %s}",
                c.op().name().toLowerCase(Locale.ROOT), c.op() == Op.GETATTR ? 0 : c.blockSize(), c.concurrency(),
                c.connections(), r.ops(), r.seconds(), r.opsPerSecond(), r.megabytesPerSecond(), r.p50() / 1e3,
                r.p90() / 1e3, r.p99() / 1e3, r.max() / 1e3, r.errors(), error);
    }
}
