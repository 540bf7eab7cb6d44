package io.corio.core;

/**
 * Carries a checked exception out of a coroutine to the caller of {@link Coroutine#enter()}.
 * Unchecked exceptions and errors are rethrown as they are; only checked ones are wrapped,
 * and the original is always the {@linkplain #getCause() cause}.
 */
public final class CoroutineException extends RuntimeException {
    CoroutineException(String message, Throwable cause) {
        super(message, cause);
    }
}
