package io.corio.core;

/** The body of a coroutine: sequential code that may yield, sleep, or call blocking work. */
@FunctionalInterface
public interface CoroutineEntry {
    void run() throws Exception;
}
