package io.corio.blockio.nbd.cli;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.BlockSpec;
import io.corio.blockio.CountingFilter;
import io.corio.blockio.nbd.NbdServer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URLEncoder;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./corio nbd}: serves one block device over NBD until killed.
 *
 * <pre>
 * ./corio nbd (--memory SIZE | --file PATH) [device options] [--export NAME]
 *             [--listen HOST:PORT|unix:PATH ...] [--budget SIZE]
 * </pre>
 *
 * The device flags ({@code --memory}, {@code --file}, {@code --latency}, {@code --readonly},
 * ...) are {@link BlockSpec}'s; the rest are the server's. A bad flag or value prints a message
 * naming it and exits with status 2.
 */
public final class Main {
    /** Where the server listens when no {@code --listen} is given: NBD's IANA port. */
    public static final String DEFAULT_LISTEN = "127.0.0.1:10809";

    private Main() {}

    /** A command line that cannot be run; the message names the flag and the value. */
    public static final class UsageException extends Exception {
        public UsageException(String message) {
            super(message);
        }
    }

    /** A parsed command line. */
    public record Options(BlockSpec device, String export, List<String> listen, long budget,
            boolean help) {}

    static final String USAGE = """
            usage: ./corio nbd (--memory SIZE | --file PATH) [device options] [--export NAME]
                               [--listen HOST:PORT|unix:PATH ...] [--budget SIZE]
            server:
              --export NAME            the export's name (default ""; it is also the default export)
              --listen ADDR            HOST:PORT or unix:PATH (repeatable; default %s)
              --budget SIZE            bytes of requests one connection may have in flight
                                       (default %s, at least %s)
              --help                   this text
            """.formatted(DEFAULT_LISTEN, BlockSpec.formatSize(NbdServer.DEFAULT_BUDGET),
                    BlockSpec.formatSize(NbdServer.MIN_BUDGET)) + BlockSpec.USAGE;

    /**
     * Parses {@code args}: the device flags by {@link BlockSpec}, the server's here; flags may be
     * given as {@code --flag value} or {@code --flag=value}.
     */
    public static Options parse(String... args) throws UsageException {
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                return new Options(null, "", List.of(DEFAULT_LISTEN), NbdServer.DEFAULT_BUDGET, true);
            }
        }
        BlockSpec.Parsed device;
        try {
            device = BlockSpec.parseKnown(List.of(args));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        List<String> rest = device.rest();
        String export = "";
        List<String> listen = new ArrayList<>();
        long budget = NbdServer.DEFAULT_BUDGET;
        boolean exportGiven = false;
        boolean budgetGiven = false;
        for (int i = 0; i < rest.size(); i++) {
            String arg = rest.get(i);
            String flag = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                flag = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (flag.equals("--export-name")) {
                flag = "--export"; // qemu-nbd's spelling
            }
            switch (flag) {
                case "--export", "--listen", "--budget" -> {
                    if (value == null) {
                        if (i + 1 >= rest.size()) {
                            throw new UsageException(flag + " needs a value");
                        }
                        value = rest.get(++i);
                    }
                    switch (flag) {
                        case "--export" -> {
                            exportGiven = once(flag, exportGiven);
                            export = value;
                        }
                        case "--listen" -> {
                            address(value);
                            listen.add(value);
                        }
                        default -> {
                            budgetGiven = once(flag, budgetGiven);
                            budget = budget(value);
                        }
                    }
                }
                default -> throw new UsageException(arg.startsWith("-")
                        ? "unknown flag '" + arg + "'" : "unexpected argument '" + arg + "'");
            }
        }
        if (listen.isEmpty()) {
            listen.add(DEFAULT_LISTEN);
        }
        return new Options(device.spec(), export, List.copyOf(listen), budget, false);
    }

    private static boolean once(String flag, boolean given) throws UsageException {
        if (given) {
            throw new UsageException(flag + " given twice");
        }
        return true;
    }

    /**
     * {@code HOST:PORT} (IPv6 as {@code [ADDR]:PORT}, unresolved) or {@code unix:PATH}. Public so
     * that the {@code CompletableFuture}-style server in benchmarks/ reads {@code --listen} alike.
     */
    public static SocketAddress address(String value) throws UsageException {
        if (value.startsWith("unix:")) {
            String path = value.substring("unix:".length());
            if (path.isEmpty()) {
                throw new UsageException("--listen " + value + ": no socket path after 'unix:'");
            }
            return UnixDomainSocketAddress.of(path);
        }
        int colon = value.lastIndexOf(':');
        if (colon <= 0) {
            throw new UsageException("--listen " + value + ": expected HOST:PORT or unix:PATH");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new UsageException("--listen " + value + ": port '" + value.substring(colon + 1)
                    + "' is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new UsageException("--listen " + value + ": port " + port + " is not in 0..65535");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    private static long budget(String value) throws UsageException {
        long n;
        try {
            n = BlockSpec.parseSize("--budget", value);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        if (n < NbdServer.MIN_BUDGET) {
            throw new UsageException("--budget " + value + ": must be at least "
                    + BlockSpec.formatSize(NbdServer.MIN_BUDGET));
        }
        return n;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the server until the JVM is stopped; returns the exit status on failure. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Options o;
        try {
            o = parse(args);
        } catch (UsageException e) {
            err.println("corio nbd: " + e.getMessage());
            err.println("try './corio nbd --help'");
            return 2;
        }
        if (o.help()) {
            out.print(USAGE);
            return 0;
        }
        BlockDriver driver;
        try {
            driver = o.device().open();
        } catch (IOException | RuntimeException e) {
            err.println("corio nbd: cannot open the device: " + e.getMessage());
            return 1;
        }
        NbdServer server = NbdServer.builder().export(o.export(), driver, "corio: " + o.device())
                .budget(o.budget()).build();
        List<SocketAddress> bound = new ArrayList<>();
        try {
            for (String l : o.listen()) {
                SocketAddress a = address(l);
                if (a instanceof InetSocketAddress unresolved) {
                    a = new InetSocketAddress(unresolved.getHostString(), unresolved.getPort());
                }
                bound.add(server.listen(a));
            }
        } catch (IOException | UsageException e) {
            err.println("corio nbd: cannot listen: " + e.getMessage());
            server.close();
            driver.close();
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close(); // lets requests in flight finish
            if (driver instanceof CountingFilter counting) {
                err.println("corio nbd: " + counting.counts());
            }
            driver.close();
            stopped.countDown();
        }));
        out.print(howToConnect(o, driver, bound));
        out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    private static String fioSize(long n) {
        return n % (1 << 20) == 0 ? (n >> 20) + "M" : Long.toString(n);
    }

    /** The startup text: what is served where, and the commands that reach it. */
    static String howToConnect(Options o, BlockDriver driver, List<SocketAddress> bound) {
        StringBuilder sb = new StringBuilder();
        sb.append("corio nbd: serving ").append(o.device()).append(", as export '")
                .append(o.export()).append("' (budget ")
                .append(BlockSpec.formatSize(o.budget())).append(" per connection)\n");
        String name = URLEncoder.encode(o.export(), StandardCharsets.UTF_8).replace("+", "%20");
        for (SocketAddress a : bound) {
            String uri;
            if (a instanceof InetSocketAddress in) {
                String host = in.getAddress().getHostAddress();
                uri = "nbd://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + in.getPort()
                        + "/" + name;
                sb.append("listening on ").append(uri).append("\n");
            } else {
                uri = "nbd+unix:///" + name + "?socket=" + a;
                sb.append("listening on unix:").append(a).append(" (").append(uri).append(")\n");
            }
            String q = "'" + uri + "'";
            sb.append("connect with:\n");
            sb.append("  nbdinfo ").append(q).append('\n');
            sb.append("  nbdinfo --map ").append(q).append('\n');
            if (!driver.readOnly()) {
                sb.append("  qemu-io -f raw -c 'write -P 0xab 0 1M' -c 'read -P 0xab 0 1M' ").append(q).append('\n');
                sb.append("  qemu-img convert -n -f raw -O raw disk.img ").append(q).append('\n');
                sb.append("  nbdcopy disk.img ").append(q).append('\n');
            } else {
                sb.append("  qemu-io -r -f raw -c 'read 0 1M' ").append(q).append('\n');
            }
            sb.append("  nbdcopy ").append(q).append(" copy.img\n");
            sb.append("  fio --name=t --ioengine=nbd --uri=").append(q)
                    .append(" --rw=randread --bs=4k --iodepth=32 --size=")
                    .append(fioSize(Math.min(driver.length(), 64 << 20))).append(" --runtime=10 --time_based\n");
        }
        return sb.toString();
    }
}
