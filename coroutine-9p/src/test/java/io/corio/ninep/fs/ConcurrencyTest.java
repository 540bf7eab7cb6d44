package io.corio.ninep.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.corio.ninep.fs.Fixture.Kind;
import io.corio.ninep.protocol.DirEntry;
import io.corio.ninep.protocol.P9;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Many threads at once on one back end, as a server's coroutines call it. */
class ConcurrencyTest {

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void concurrentCreatesWritesReadsAndListingsAgree(Kind kind) throws Exception {
        int threads = 4;
        int files = 40;
        try (Fixture f = new Fixture(kind);
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            f.fs.mkdir(f.root, "d", 0755, Fixture.ME);
            Handle shared = f.file("shared", "0123456789");
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int me = t;
                done.add(pool.submit(() -> {
                    try (Handle d = f.walk("d")) {
                        for (int i = 0; i < files; i++) {
                            String name = "t" + me + "-" + i;
                            try (Handle h = f.file(d, name, name)) {
                                assertEquals(name, f.read(h, 0, 100));
                            }
                            assertEquals("0123456789", f.read(shared, 0, 100)); // one handle, many readers
                            if (i % 10 == 0) {
                                try (Handle list = f.walk("d")) {
                                    f.fs.open(list, P9.DOTL_RDONLY);
                                    f.readdirAll(list, 200);
                                }
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> d : done) {
                d.get();
            }
            try (Handle d = f.walk("d")) {
                f.fs.open(d, P9.DOTL_RDONLY);
                Set<String> names = new HashSet<>();
                for (DirEntry e : f.readdirAll(d, 300)) {
                    names.add(e.name());
                }
                assertEquals(threads * files + 2, names.size());
            }
            shared.close();
        }
    }
}
