package io.corio.bench.charts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * benchmarks/chart-peers.py draws the 9P and NBD charts from small fixture files shaped like
 * the JSON that run-9p, run-9p-load and run-nbd write (src/test/resources/charts). Checks the plumbing,
 * not the pictures: every chart is written and is a PNG. Skipped when no python3 on the
 * machine has matplotlib (Debian package python3-matplotlib).
 */
@Timeout(120)
class ChartPeersTest {
    private static final Path SCRIPT = Path.of("chart-peers.py");
    private static final Path FIXTURES = Path.of("src", "test", "resources", "charts");
    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G'};

    @TempDir
    Path out;

    @Test
    void drawsThe9pChart() throws Exception {
        assertEquals(List.of("9p.png"), draw("9p"));
    }

    @Test
    void drawsThe9pLoadChart() throws Exception {
        assertEquals(List.of("9p-load.png"), draw("9p-load"));
    }

    @Test
    void drawsTheNbdCharts() throws Exception {
        assertEquals(List.of("nbd-latency.png", "nbd-throughput.png"), draw("nbd"));
    }

    /** Runs the script on the suite's fixture; returns the names of the files it wrote, sorted. */
    private List<String> draw(String suite) throws Exception {
        String python = pythonWithMatplotlib();
        assumeTrue(python != null, "no python3 with matplotlib: install the Debian package python3-matplotlib");
        Process p = new ProcessBuilder(python, SCRIPT.toString(), suite,
                "--data", FIXTURES.resolve(suite + ".json").toString(), "--out-dir", out.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "chart-peers.py " + suite + ":\n" + output);
        try (var files = Files.list(out)) {
            List<Path> charts = files.sorted().toList();
            for (Path c : charts) {
                assertArrayEquals(PNG, Arrays.copyOf(Files.readAllBytes(c), 4), c + " is not a PNG");
            }
            return charts.stream().map(c -> c.getFileName().toString()).toList();
        }
    }

    private static String pythonWithMatplotlib() throws IOException, InterruptedException {
        for (String py : List.of("python3", "/usr/bin/python3")) {
            try {
                Process p = new ProcessBuilder(py, "-c", "import matplotlib").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return py;
                }
            } catch (IOException noSuchPython) {
                // try the next
            }
        }
        return null;
    }
}
