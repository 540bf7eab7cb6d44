package io.corio.blockio.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ByteBudgetTest {
    final ByteBudget budget = new ByteBudget(1000);

    @Test
    void theBudgetRefusesMisuse() {
        assertThrows(IllegalArgumentException.class, () -> budget.acquire(1001));
        assertThrows(IllegalArgumentException.class, () -> budget.acquire(0));
        assertThrows(IllegalStateException.class, () -> budget.release(1));
        budget.acquire(400);
        assertTrue(budget.toString().contains("600 of 1000"), budget.toString());
        budget.release(400);
        assertEquals(1000, budget.available());
    }

    @Test
    void anAcquireWaitsUntilEnoughIsReleased() throws Exception {
        budget.acquire(800);
        Thread reader = Thread.ofVirtual().start(() -> budget.acquire(500));
        while (!budget.toString().contains("reader waits for 500")) {
            Thread.onSpinWait(); // until the reader is parked in acquire
        }
        budget.release(100); // 300 available: not enough
        assertTrue(reader.isAlive());
        assertEquals(300, budget.available());
        budget.release(200);
        reader.join();
        assertEquals(0, budget.available());
    }
}
