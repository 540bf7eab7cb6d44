package io.corio.blockio.nbd;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real NBD clients installed on the machine; tests skip when one is missing. */
final class Tools {
    private Tools() {}

    /** What a tool printed (stdout and stderr together) and its exit status. */
    record Run(int exit, String output) {
        Run ok() {
            if (exit != 0) {
                throw new AssertionError("exit " + exit + ":\n" + output);
            }
            return this;
        }
    }

    /** Skips the test unless {@code tool} is installed; the message names the Debian package. */
    static void require(String tool, String debianPackage) {
        assumeTrue(find(tool) != null, tool + " not found: install the Debian package "
                + debianPackage + " (apt-get install " + debianPackage + ")");
    }

    static Path find(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/sbin:/usr/local/bin";
        for (String d : path.split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return Path.of(d, tool);
            }
        }
        return null;
    }

    static Run run(String... command) throws IOException, InterruptedException {
        return run(null, command);
    }

    /** Runs {@code command} in {@code dir} (or here) with a one-minute limit. */
    static Run run(Path dir, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(List.of(command)).redirectErrorStream(true);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        pb.environment().put("LIBNBD_DEBUG", "0");
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes(); // ends when the tool exits
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in 60 s");
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
