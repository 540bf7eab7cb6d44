package io.corio.ninep.cli;

import io.corio.ninep.fs.Backend;
import io.corio.ninep.fs.FsException;
import io.corio.ninep.fs.SecurityModel;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.server.NinepServer;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./corio 9p}: serves directories over 9P2000.L until killed.
 *
 * <pre>
 * ./corio 9p --export DIR [--export NAME=DIR ...] [--listen HOST:PORT|unix:PATH ...]
 *            [--security-model passthrough|mapped-xattr|none] [--readonly] [--msize N]
 * </pre>
 *
 * A plain {@code DIR} is exported under its absolute path as aname (as diod does); {@code
 * NAME=DIR} under {@code NAME}. The synthetic export {@code ctl} is always there. A bad flag or
 * value prints a message naming it and exits with status 2.
 */
public final class Main {
    /** Where the server listens when no {@code --listen} is given. */
    public static final String DEFAULT_LISTEN = "127.0.0.1:5640";

    private Main() {}

    /** A command line that cannot be run; the message names the flag and the value. */
    public static final class UsageException extends Exception {
        public UsageException(String message) {
            super(message);
        }
    }

    /** One {@code --export}: the aname clients attach with and the directory. */
    public record Export(String aname, Path dir) {}

    /** A parsed command line. */
    public record Options(List<Export> exports, List<String> listen, SecurityModel securityModel,
            boolean readOnly, int msize, boolean help) {}

    static final String USAGE = """
            usage: ./corio 9p --export DIR [--export NAME=DIR ...] [--listen HOST:PORT|unix:PATH ...]
                              [--security-model passthrough|mapped-xattr|none] [--readonly] [--msize N]
              --export DIR        serve DIR; clients attach with its absolute path as aname
              --export NAME=DIR   serve DIR under aname NAME (repeatable; 'ctl' is reserved)
              --listen ADDR       HOST:PORT or unix:PATH (repeatable; default %s)
              --security-model M  passthrough (store client owners and modes on the files; needs
                                  root to chown), mapped-xattr (keep them in user.virtfs.* xattrs),
                                  none (ignore them; the default)
              --readonly          refuse every change with EROFS
              --msize N           largest message size to agree to, %d..%d (default %d)
            """.formatted(DEFAULT_LISTEN, P9.MIN_MSIZE, P9.MAX_MSIZE, NinepServer.DEFAULT_MAX_MSIZE);

    /** Parses {@code args}; flags may be given as {@code --flag value} or {@code --flag=value}. */
    public static Options parse(String... args) throws UsageException {
        List<Export> exports = new ArrayList<>();
        Set<String> anames = new LinkedHashSet<>();
        List<String> listen = new ArrayList<>();
        SecurityModel model = SecurityModel.NONE;
        boolean readOnly = false;
        int msize = NinepServer.DEFAULT_MAX_MSIZE;
        boolean help = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String flag = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                flag = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            switch (flag) {
                case "-h", "--help" -> help = true;
                case "--readonly" -> {
                    if (value != null) {
                        throw new UsageException("--readonly takes no value: '" + arg + "'");
                    }
                    readOnly = true;
                }
                case "--export", "--listen", "--security-model", "--msize" -> {
                    if (value == null) {
                        if (i + 1 >= args.length) {
                            throw new UsageException(flag + " needs a value");
                        }
                        value = args[++i];
                    }
                    switch (flag) {
                        case "--export" -> {
                            Export e = export(value);
                            if (!anames.add(e.aname())) {
                                throw new UsageException("--export " + value + ": aname '"
                                        + e.aname() + "' is exported twice");
                            }
                            exports.add(e);
                        }
                        case "--listen" -> {
                            address(value);
                            listen.add(value);
                        }
                        case "--security-model" -> model = securityModel(value);
                        default -> msize = msize(value);
                    }
                }
                default -> throw new UsageException(arg.startsWith("-")
                        ? "unknown flag '" + arg + "'"
                        : "unexpected argument '" + arg + "' (directories go after --export)");
            }
        }
        if (exports.isEmpty() && !help) {
            throw new UsageException("--export DIR is required");
        }
        if (listen.isEmpty()) {
            listen.add(DEFAULT_LISTEN);
        }
        return new Options(List.copyOf(exports), List.copyOf(listen), model, readOnly, msize, help);
    }

    private static Export export(String value) throws UsageException {
        String aname = null;
        String dir = value;
        int eq = value.indexOf('=');
        if (eq >= 0) {
            aname = value.substring(0, eq);
            dir = value.substring(eq + 1);
            if (aname.isEmpty()) {
                throw new UsageException("--export " + value + ": the name before '=' is empty");
            }
        }
        if (dir.isEmpty()) {
            throw new UsageException("--export '" + value + "': no directory");
        }
        Path path = Path.of(dir).toAbsolutePath().normalize();
        if (!Files.isDirectory(path)) {
            throw new UsageException("--export " + value + ": " + path + " is not a directory");
        }
        if (aname == null) {
            aname = path.toString();
        }
        if (aname.equals("ctl")) {
            throw new UsageException("--export " + value
                    + ": aname 'ctl' is reserved for the server's synthetic ctl export");
        }
        return new Export(aname, path);
    }

    /** {@code HOST:PORT} (IPv6 as {@code [ADDR]:PORT}) or {@code unix:PATH}. */
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

    private static SecurityModel securityModel(String value) throws UsageException {
        for (SecurityModel m : SecurityModel.values()) {
            if (m.optionName().equals(value)) {
                return m;
            }
        }
        throw new UsageException("--security-model " + value
                + ": expected passthrough, mapped-xattr or none");
    }

    private static int msize(String value) throws UsageException {
        int n;
        try {
            n = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new UsageException("--msize " + value + ": not a number");
        }
        if (n < P9.MIN_MSIZE || n > P9.MAX_MSIZE) {
            throw new UsageException("--msize " + value + ": must be in " + P9.MIN_MSIZE + ".."
                    + P9.MAX_MSIZE);
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
            err.println("corio 9p: " + e.getMessage());
            err.println("try './corio 9p --help'");
            return 2;
        }
        if (o.help()) {
            out.print(USAGE);
            return 0;
        }
        List<Backend> backends = new ArrayList<>();
        NinepServer server;
        List<SocketAddress> bound = new ArrayList<>();
        try {
            NinepServer.Builder b = NinepServer.builder().maxMsize(o.msize());
            for (Export e : o.exports()) {
                Backend backend = Backend.local(e.dir(), o.securityModel(), o.readOnly());
                backends.add(backend);
                b.export(e.aname(), backend);
            }
            server = b.build();
            for (String l : o.listen()) {
                SocketAddress a = address(l);
                if (a instanceof InetSocketAddress unresolved) {
                    a = new InetSocketAddress(unresolved.getHostString(), unresolved.getPort());
                }
                bound.add(server.listen(a));
            }
        } catch (FsException | java.io.IOException | UsageException e) {
            err.println("corio 9p: cannot start: " + e.getMessage());
            backends.forEach(Backend::close);
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        NinepServer s = server;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            s.close();
            backends.forEach(Backend::close);
            stopped.countDown();
        }));
        out.print(howToConnect(o, bound));
        out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** The startup text: what is served where, and the diod and mount commands to reach it. */
    static String howToConnect(Options o, List<SocketAddress> bound) {
        StringBuilder sb = new StringBuilder();
        sb.append("corio 9p: serving 9P2000.L (security model ")
                .append(o.securityModel().optionName()).append(o.readOnly() ? ", read-only" : "")
                .append(", msize up to ").append(o.msize()).append(")\n");
        for (Export e : o.exports()) {
            sb.append("  export ").append(e.dir()).append("  (aname ").append(e.aname()).append(")\n");
        }
        sb.append("  export ctl  (synthetic: version, stats, zero, null; for diodload)\n");
        Export first = o.exports().getFirst();
        for (SocketAddress a : bound) {
            if (a instanceof InetSocketAddress in) {
                String host = in.getAddress().getHostAddress();
                String hostPort = (host.contains(":") ? "[" + host + "]" : host) + ":" + in.getPort();
                sb.append("listening on ").append(hostPort).append("; connect with:\n");
                sb.append("  diodls -s ").append(hostPort).append(" -a ").append(first.aname())
                        .append(" -l /\n");
                sb.append("  diodcat -s ").append(hostPort).append(" -a ").append(first.aname())
                        .append(" FILE\n");
                sb.append("  diodload -s ").append(hostPort).append(" -n 16 -r 10\n");
                sb.append("  sudo mount -t 9p -o trans=tcp,port=").append(in.getPort())
                        .append(",version=9p2000.L,msize=").append(o.msize()).append(",aname=")
                        .append(first.aname()).append(' ').append(host).append(" /mnt\n");
            } else {
                sb.append("listening on unix:").append(a).append("; connect with:\n");
                sb.append("  sudo mount -t 9p -o trans=unix,version=9p2000.L,msize=")
                        .append(o.msize()).append(",aname=").append(first.aname()).append(' ')
                        .append(a).append(" /mnt\n");
            }
        }
        return sb.toString();
    }
}
