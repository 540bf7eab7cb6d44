package io.corio.bench.nbd;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.BlockSpec;
import io.corio.blockio.nbd.cli.Main;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code ./corio nbd --style future}: {@link FutureServer} with the command line of
 * {@code ./corio nbd} (parsed by its {@link Main#parse}), until killed. {@code --count} and
 * {@code --direct} are the coroutine server's only and refused here with status 2. Blocking
 * file I/O, and the requests a latency delay lets go, run on virtual threads (one per task),
 * as the coroutine server's {@code Coroutine.blocking} runs on a virtual thread.
 */
public final class FutureMain {
    private FutureMain() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Main.Options o;
        try {
            o = Main.parse(args);
            if (o.help()) {
                out.println("./corio nbd --style future: the NBD server with CompletableFuture handlers"
                        + " (benchmarks/); the flags of ./corio nbd but --count and --direct:");
                Main.main(new String[] {"--help"});
                return 0;
            }
            if (o.device().count()) {
                throw new Main.UsageException("--count is not supported with --style future");
            }
            if (o.device().device() instanceof BlockSpec.File f && f.direct()) {
                throw new Main.UsageException("--direct is not supported with --style future");
            }
        } catch (Main.UsageException e) {
            err.println("corio nbd: " + e.getMessage());
            err.println("try './corio nbd --help'");
            return 2;
        }
        ExecutorService io = Executors.newVirtualThreadPerTaskExecutor();
        FutureDriver driver;
        try {
            driver = open(o.device(), io);
        } catch (IOException | RuntimeException e) {
            err.println("corio nbd: cannot open the device: " + e.getMessage());
            return 1;
        }
        FutureServer server = FutureServer.builder().export(o.export(), driver, "corio (future style): " + o.device())
                .budget(o.budget()).build();
        List<SocketAddress> bound = new ArrayList<>();
        try {
            for (String l : o.listen()) {
                SocketAddress a = Main.address(l);
                if (a instanceof InetSocketAddress unresolved) {
                    a = new InetSocketAddress(unresolved.getHostString(), unresolved.getPort());
                }
                bound.add(server.listen(a));
            }
        } catch (IOException | Main.UsageException e) {
            err.println("corio nbd: cannot listen: " + e.getMessage());
            server.close();
            driver.close();
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close(); // lets requests in flight finish
            io.shutdown();
            driver.close();
            stopped.countDown();
        }));
        out.println("corio nbd (CompletableFuture handlers): serving " + o.device() + ", as export '"
                + o.export() + "'");
        for (SocketAddress a : bound) {
            out.println("listening on " + (a instanceof InetSocketAddress in
                    ? "nbd://" + in.getAddress().getHostAddress() + ":" + in.getPort() + "/" : "unix:" + a));
        }
        out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** The device of {@code spec} as a {@link FutureDriver}: read-only, then latency, as BlockSpec stacks them. */
    static FutureDriver open(BlockSpec spec, ExecutorService io) throws IOException {
        FutureDriver d = switch (spec.device()) {
            case BlockSpec.Memory m -> FutureDriver.memory(m.size());
            case BlockSpec.File f -> {
                if (f.createSize() >= 0 && !Files.exists(f.path())) {
                    BlockDriver.createFile(f.path(), f.createSize());
                } else if (f.createSize() >= 0 && Files.size(f.path()) != f.createSize()) {
                    throw new IOException(f.path() + " exists with " + Files.size(f.path())
                            + " bytes, not the " + f.createSize() + " of --create-size");
                }
                yield FutureDriver.file(f.path(), spec.readOnly(), io);
            }
        };
        if (spec.readOnly()) {
            d = FutureDriver.readOnly(d);
        }
        if (!spec.maxLatency().isZero()) {
            d = FutureDriver.withLatency(d, spec.minLatency(), spec.maxLatency(), io);
        }
        return d;
    }
}
