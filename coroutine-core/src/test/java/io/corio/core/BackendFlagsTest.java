package io.corio.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What the backends do in a JVM started without --add-opens/--add-exports: virtual-pinned
 * falls back to virtual with exactly one warning; continuation refuses, naming the flag.
 */
class BackendFlagsTest {

    @Test
    void withoutFlagsPinnedFallsBackOnceAndContinuationNamesTheFlag() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                "io.corio.core.FlagProbe", "virtual-pinned", "virtual-pinned", "continuation", "virtual"))
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe JVM did not finish");
        String out = read(p);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("virtual-pinned -> virtual ok=true"), out);
        assertEquals(1, count(out, "falling back to virtual"), "one warning, not one per context:\n" + out);
        assertTrue(out.contains("--add-opens java.base/java.lang=ALL-UNNAMED"), out);
        assertTrue(out.contains("continuation -> refused:") && out.contains("--add-exports java.base/jdk.internal.vm=ALL-UNNAMED"), out);
        assertTrue(out.contains("virtual -> virtual ok=true"), out);
    }

    private static String read(Process p) throws IOException {
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
