package io.corio.bench.ninep;

import io.corio.ninep.cli.Main;
import io.corio.ninep.cli.Main.Export;
import io.corio.ninep.cli.Main.Options;
import io.corio.ninep.cli.Main.UsageException;
import io.corio.ninep.fs.Backend;
import io.corio.ninep.fs.FsException;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./corio 9p --style callback}: the {@link CallbackServer} on local directories until
 * killed. Takes the flags of {@code ./corio 9p} ({@link Main#parse}) and serves the same way;
 * only the request handlers differ.
 */
public final class CallbackMain {
    private CallbackMain() {}

    static final String USAGE = """
            usage: ./corio 9p --style callback --export DIR [--export NAME=DIR ...]
                              [--listen HOST:PORT|unix:PATH ...] [--security-model M] [--readonly] [--msize N]
              The callback-style 9P server of benchmarks/ (issue 6): the flags of ./corio 9p, the same
              codec, back ends and transport, request handlers written as WorkerPool callbacks. It
              serves version, auth (ENOENT), attach, walk, lopen, lcreate, read, write, getattr,
              clunk, readdir and statfs; everything else answers EOPNOTSUPP.
            """;

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the server until the JVM is stopped; returns the exit status on failure. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Options o;
        try {
            o = Main.parse(args);
        } catch (UsageException e) {
            err.println("corio 9p --style callback: " + e.getMessage());
            err.println("try './corio 9p --style callback --help'");
            return 2;
        }
        if (o.help()) {
            out.print(USAGE);
            return 0;
        }
        List<Backend> backends = new ArrayList<>();
        CallbackServer server = null;
        List<SocketAddress> bound = new ArrayList<>();
        try {
            Map<String, Backend> exports = new LinkedHashMap<>();
            for (Export e : o.exports()) {
                Backend b = Backend.local(e.dir(), o.securityModel(), o.readOnly());
                backends.add(b);
                exports.put(e.aname(), b);
            }
            server = CallbackServer.create(exports, o.msize());
            for (String l : o.listen()) {
                SocketAddress a = Main.address(l);
                if (a instanceof InetSocketAddress unresolved) {
                    a = new InetSocketAddress(unresolved.getHostString(), unresolved.getPort());
                }
                bound.add(server.listen(a));
            }
        } catch (FsException | IOException | UsageException e) {
            err.println("corio 9p --style callback: cannot start: " + e.getMessage());
            if (server != null) {
                server.close();
            }
            backends.forEach(Backend::close);
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        CallbackServer s = server;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            s.close();
            backends.forEach(Backend::close);
            stopped.countDown();
        }));
        out.println("corio 9p: serving 9P2000.L in callback style (security model "
                + o.securityModel().optionName() + (o.readOnly() ? ", read-only" : "")
                + ", msize up to " + o.msize() + ")");
        for (Export e : o.exports()) {
            out.println("  export " + e.dir() + "  (aname " + e.aname() + ")");
        }
        out.println("  export ctl  (synthetic: version, stats, zero, null; for diodload)");
        for (SocketAddress a : bound) {
            out.println("listening on " + a);
        }
        out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
