package io.corio.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ordering assertions in the kotlinx style: {@code expect(1) ... expect(n)} must be reached
 * in exactly that order, and {@code finish(n + 1)} checks that every step ran.
 */
final class Expect {
    private final AtomicInteger step = new AtomicInteger();

    void expect(int n) {
        int was = step.getAndIncrement();
        assertEquals(n - 1, was, "expect(" + n + ") reached after step " + was);
    }

    void finish(int n) {
        expect(n);
    }

    int step() {
        return step.get();
    }
}
