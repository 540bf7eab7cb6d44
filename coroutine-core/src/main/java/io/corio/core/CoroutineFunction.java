package io.corio.core;

/**
 * A computation with a result that may throw a checked exception of type {@code X}. The
 * compiler infers {@code X} from the lambda, so {@code Coroutine.blocking(() -> ch.read(buf, pos))}
 * throws {@code IOException} and nothing wider.
 *
 * @param <T> the result type
 * @param <X> the checked exception the computation may throw ({@code RuntimeException} if none)
 */
@FunctionalInterface
public interface CoroutineFunction<T, X extends Exception> {
    T call() throws X;
}
